/**
 * `GET /api/export`: the archive `confwatch export` writes, streamed to the
 * client as it is made. An archive holds every config byte for byte,
 * secrets included, so the route needs `secrets:view` (admins by
 * default): viewers and operators are refused. Each export is audited.
 */
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuditRecorder } from '../../auth/audit-recorder.js';
import type { ArchiveService } from '../../services/archive.service.js';
import { guardedErrors, nameSchema } from './common.schema.js';

const query = z.object({
  device: z.union([nameSchema, z.array(nameSchema).max(1000)]).optional(),
  history: z.enum(['true', 'false']).optional(),
});

export const exportRoutes =
  (archive: ArchiveService, audit?: AuditRecorder): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/export', {
      config: { scope: 'secrets:view' },
      schema: {
        tags: ['export'],
        summary: "A gzip'd tar of the devices' files (with history=true every version), streamed; it holds secrets",
        querystring: query,
        response: { 200: z.any().describe('application/gzip: manifest.json and blobs/<sha256>'), ...guardedErrors },
      },
      handler: async (request, reply) => {
        const devices = request.query.device === undefined ? [] : [request.query.device].flat();
        const history = request.query.history === 'true';
        // unknown names fail here, as JSON, before the first byte of the archive
        await archive.resolveDevices(devices);
        const body = new PassThrough();
        const abort = new AbortController();
        request.raw.on('close', () => abort.abort());
        archive
          .export(body, { ...(devices.length ? { devices } : {}), history, signal: abort.signal })
          .then(
            () => 'ok' as const,
            (error: unknown) => {
              body.destroy(error as Error);
              return 'error' as const;
            },
          )
          .then((result) =>
            audit?.record({ actor: request.principal?.user ?? 'anonymous', action: 'export.archive', target: `history=${history}${devices.length ? ` devices=${devices.join(',')}` : ''}`, clientAddress: request.ip, result, details: null }),
          )
          .catch(() => undefined);
        const stamp = new Date().toISOString().replace(/[:.]/g, '-');
        return reply
          .type('application/gzip')
          .header('content-disposition', `attachment; filename="confwatch-export-${stamp}.tar.gz"`)
          .header('x-confwatch-contains-secrets', 'true')
          .send(body);
      },
    });
  };
