import { Type } from 'typebox';
import type { Api, ApiDeps } from '../server.ts';

export function registerSystemRoutes(app: Api, deps: ApiDeps): void {
  const started = Date.now();

  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['system'],
        summary: 'Liveness for load balancers and supervisors (no login needed)',
        security: [],
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            version: Type.String(),
            uptimeSeconds: Type.Integer(),
            devices: Type.Object({ total: Type.Integer(), online: Type.Integer() }),
          }),
        },
      },
    },
    async () => {
      const all = await deps.devices.registry.list();
      const online = all.filter((device) => deps.devices.health(device.id)?.state === 'online').length;
      return {
        status: 'ok' as const,
        version: deps.version,
        uptimeSeconds: Math.floor((Date.now() - started) / 1000),
        devices: { total: all.length, online },
      };
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['system'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );

  app.get(
    '/api/v1/settings',
    { schema: { tags: ['system'], summary: 'The effective configuration (secrets masked)' } },
    async () => deps.publicConfig(),
  );

  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
