/** `GET /api/audit`: the append-only audit log, for admins. No route changes it. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { SnapshotStore } from '../../store/snapshot-store.js';
import { guardedErrors, limitSchema } from './common.schema.js';

export const auditEntrySchema = z.object({
  id: z.number(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  clientAddress: z.string().nullable(),
  result: z.enum(['ok', 'error', 'denied']),
  details: z.unknown(),
});

export const auditRoutes =
  (store: Pick<SnapshotStore, 'listAudit'>): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/audit', {
      config: { scope: 'users:manage' },
      schema: {
        tags: ['admin'],
        summary: 'Audit log, newest first',
        querystring: z.object({ limit: limitSchema(1000, 100) }),
        response: { 200: z.object({ entries: z.array(auditEntrySchema) }), ...guardedErrors },
      },
      handler: async (request) => ({ entries: await store.listAudit({ limit: request.query.limit }) }),
    });
  };
