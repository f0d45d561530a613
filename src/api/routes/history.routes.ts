/** `GET /api/devices/:device/files/history?path=…`: a file's versions, newest first, by cursor. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEFAULT_HISTORY_LIMIT, type HistoryService, MAX_HISTORY_LIMIT } from '../../services/history.service.js';
import { cursorSchema, deviceParams, guardedErrors, limitSchema, remotePathSchema } from './common.schema.js';

const versionSchema = z.object({
  id: z.string(),
  contentHash: z.string().nullable(),
  size: z.number().nullable(),
  detectedAt: z.string(),
  changeType: z.string(),
  source: z.string(),
  actor: z.string().nullable(),
  changeSetId: z.string().nullable(),
  changeRequestId: z.string().nullable(),
  risk: z.string().nullable(),
});

export const historyRoutes =
  (history: HistoryService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/devices/:device/files/history', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['history'],
        summary: 'Versions of one file, newest first; pass nextCursor back as cursor for older ones',
        params: deviceParams,
        querystring: z.object({ path: remotePathSchema, cursor: cursorSchema.optional(), limit: limitSchema(MAX_HISTORY_LIMIT, DEFAULT_HISTORY_LIMIT) }),
        response: {
          200: z.object({ device: z.string(), path: z.string(), versions: z.array(versionSchema), nextCursor: z.string().nullable() }),
          ...guardedErrors,
        },
      },
      handler: async (request) => {
        const { path, cursor, limit } = request.query;
        return history.history(request.params.device, path, { cursor: cursor ?? null, limit });
      },
    });
  };
