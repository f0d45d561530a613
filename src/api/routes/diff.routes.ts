/** `GET /api/diff?from=ID&to=ID`: unified text and side-by-side rows. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DiffService } from '../../services/diff.service.js';
import { guardedErrors, idSchema } from './common.schema.js';
import { seesSecrets } from './snapshots.routes.js';

const side = z.object({ id: z.string(), device: z.string(), path: z.string(), contentHash: z.string().nullable(), detectedAt: z.string() });
const cell = z.object({ line: z.number(), text: z.string() }).nullable();

export const diffResponse = z.object({
  from: side,
  to: side,
  binary: z.boolean(),
  message: z.string().optional(),
  unified: z.string(),
  rows: z.array(z.object({ kind: z.enum(['context', 'removed', 'added', 'changed']), left: cell, right: cell })),
  added: z.number(),
  removed: z.number(),
});

export const diffRoutes =
  (diffs: DiffService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/diff', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['history'],
        summary: 'Diff between two snapshots',
        querystring: z.object({ from: idSchema, to: idSchema }),
        response: { 200: diffResponse, ...guardedErrors },
      },
      handler: async (request) => diffs.diff(request.query.from, request.query.to, { redact: !seesSecrets(request) }),
    });
  };
