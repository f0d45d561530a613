/** `GET /api/files?device=`: tracked files with their sync and validation statuses. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { DeviceService } from '../../services/device.service.js';
import type { SnapshotStore } from '../../store/snapshot-store.js';
import { redactText } from '../../auth/redact.js';
import { guardedErrors } from './common.schema.js';
import { seesSecrets } from './snapshots.routes.js';
import { filesQuery, trackedFileSchema } from './files.schema.js';

export const fileRoutes =
  (store: Pick<SnapshotStore, 'listTrackedFiles'>, devices: Pick<DeviceService, 'get'>): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/files', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['files'],
        summary: 'Tracked files with statuses, optionally of one device',
        querystring: filesQuery,
        response: { 200: z.object({ files: z.array(trackedFileSchema) }), ...guardedErrors },
      },
      handler: async (request) => {
        const { device } = request.query;
        if (device !== undefined) await devices.get(device); // unknown device → 404, not an empty list
        const files = await store.listTrackedFiles(device);
        // A last error can quote what a tool printed about the file's contents.
        if (seesSecrets(request)) return { files };
        return { files: files.map((f) => (f.lastError === null ? f : { ...f, lastError: redactText(f.lastError) })) };
      },
    });
  };
