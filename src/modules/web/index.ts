/**
 * The web UI: a Preact app in `web/`, built with Vite on the first start after a change (see
 * build.ts) and served at `/` with a strict Content-Security-Policy. The page itself is public;
 * everything it shows comes from the API behind the usual auth (session cookie + anti-CSRF token).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Config } from '../../core/config/index.ts';
import type { RoutePlugin } from '../../core/http.ts';
import type { Logger } from '../../core/logger.ts';
import { defineModule, type Module } from '../../core/module.ts';
import { ensureUiBuild } from './build.ts';
import { uiContentSecurityPolicy } from './csp.ts';

export type UiSettings = Config['ui'];

/** Longest a page request waits for a first build before it gets a "try again" page. */
const BUILD_WAIT_MS = 120_000;
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

interface CachedFile {
  body: Buffer;
  gzip: Buffer | undefined;
  type: string;
}

export class WebModule implements Module {
  readonly name = 'ui';
  readonly routes: RoutePlugin;
  private build: Promise<string> | undefined;
  /** Files read so far; bounded by the build's own file list (a few dozen). */
  private readonly files = new Map<string, CachedFile>();

  constructor(
    private readonly settings: UiSettings,
    private readonly logger: Logger,
  ) {
    this.routes = (app) => {
      app.get('/', { config: { public: true }, schema: { hide: true } }, async (request, reply) =>
        this.sendPage(request, reply),
      );
      app.get(
        '/assets/:name',
        {
          config: { public: true },
          schema: { hide: true, params: Type.Object({ name: Type.String({ maxLength: 128 }) }) },
        },
        async (request, reply) => this.sendAsset(request.params.name, request, reply),
      );
    };
  }

  async start(): Promise<void> {
    if (!this.settings.enabled) return;
    const started = Date.now();
    // In the background: the API is usable at once; the page waits for the build on its own.
    this.build = ensureUiBuild().then(
      (build) => {
        if (build.built) this.logger.info({ ms: Date.now() - started }, 'web UI built');
        return build.dir;
      },
      (error: unknown) => {
        this.logger.error({ err: error }, 'web UI cannot be built; the API works without it');
        throw error;
      },
    );
    this.build.catch(() => {});
  }

  async stop(): Promise<void> {}

  /** The built UI's directory, waiting for a build in progress. */
  async directory(): Promise<string | undefined> {
    if (!this.build) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), BUILD_WAIT_MS);
    });
    try {
      return await Promise.race([this.build, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async sendPage(request: FastifyRequest, reply: FastifyReply) {
    reply.header('cache-control', 'no-cache');
    if (!this.settings.enabled)
      return this.sendMessage(reply, 404, 'The web UI is switched off (`ui.enabled`).');
    let dir: string | undefined;
    try {
      dir = await this.directory();
    } catch (error) {
      return this.sendMessage(
        reply,
        503,
        `The web UI could not be built (${(error as Error).message}); the API works. Run \`npm install\` and restart.`,
      );
    }
    if (!dir) return this.sendMessage(reply, 503, 'The web UI is still being built; reload in a moment.');
    const page = await this.file(dir, 'index.html', 'text/html; charset=utf-8');
    reply.header('content-security-policy', uiContentSecurityPolicy(request.hostname));
    return this.sendFile(page, request, reply);
  }

  private async sendAsset(name: string, request: FastifyRequest, reply: FastifyReply) {
    const dir = this.settings.enabled ? await this.directory().catch(() => undefined) : undefined;
    const type = TYPES[name.slice(name.lastIndexOf('.'))];
    if (!dir || !ASSET_NAME.test(name) || !type) return this.notFound(reply, name);
    let file: CachedFile;
    try {
      file = await this.file(dir, join('assets', name), type);
    } catch {
      return this.notFound(reply, name);
    }
    // Asset names carry a hash of their content: they never change, so browsers keep them.
    reply.header('cache-control', 'public, max-age=31536000, immutable');
    return this.sendFile(file, request, reply);
  }

  private async file(dir: string, name: string, type: string): Promise<CachedFile> {
    const key = join(dir, name);
    const cached = this.files.get(key);
    if (cached) return cached;
    const body = await readFile(key);
    const file = { body, type, gzip: body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined };
    this.files.set(key, file);
    return file;
  }

  private sendFile(file: CachedFile, request: FastifyRequest, reply: FastifyReply) {
    reply.header('content-type', file.type).header('vary', 'accept-encoding');
    if (file.gzip && /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) {
      return reply.header('content-encoding', 'gzip').send(file.gzip);
    }
    return reply.send(file.body);
  }

  private notFound(reply: FastifyReply, name: string) {
    return reply
      .code(404)
      .send({ error: { code: 'not_found', message: `No UI file "${name.slice(0, 64)}".` } });
  }

  private sendMessage(reply: FastifyReply, status: number, message: string) {
    this.logger.debug({ status }, 'web UI page not served');
    const html = `<!doctype html><meta charset="utf-8"><title>hikbridge</title><p>${escapeHtml(message)}</p>`;
    return reply.code(status).header('content-type', 'text/html; charset=utf-8').send(html);
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const webModule = defineModule({
  name: 'ui',
  settings: (config) => config.ui,
  create: ({ settings, logger }) => new WebModule(settings, logger),
});
