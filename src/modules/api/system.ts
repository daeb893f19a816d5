/** The gateway's own routes: liveness, Prometheus metrics, effective settings, OpenAPI document. */
import type { Registry } from 'prom-client';
import { Type } from 'typebox';
import type { HttpApp } from '../../core/http.ts';
import type { Module } from '../../core/module.ts';

export interface SystemRouteDeps {
  version: string;
  metrics: Registry;
  /** The effective configuration with secrets masked. */
  publicConfig(): unknown;
  /** The modules whose `healthReport` goes into `/health`, under their names. */
  modules(): readonly Module[];
}

export function registerSystemRoutes(app: HttpApp, deps: SystemRouteDeps): void {
  const started = Date.now();

  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'Liveness for load balancers and supervisors (no login needed)',
        description: 'Besides the fields below, each module may add a summary under its name (`devices`).',
        security: [],
        response: {
          200: Type.Object(
            {
              status: Type.Literal('ok'),
              version: Type.String(),
              uptimeSeconds: Type.Integer(),
              devices: Type.Optional(Type.Object({ total: Type.Integer(), online: Type.Integer() })),
            },
            { additionalProperties: true },
          ),
        },
      },
    },
    async () => {
      const reports: Record<string, unknown> = {};
      for (const module of deps.modules()) {
        if (module.healthReport) reports[module.name] = await module.healthReport();
      }
      return {
        ...reports,
        status: 'ok' as const,
        version: deps.version,
        uptimeSeconds: Math.floor((Date.now() - started) / 1000),
      };
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['system'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      reply.header('content-type', deps.metrics.contentType);
      return deps.metrics.metrics();
    },
  );

  app.get(
    '/api/v1/settings',
    { schema: { tags: ['system'], summary: 'The effective configuration (secrets masked)' } },
    async () => deps.publicConfig(),
  );

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
