/** Change sets: snapshots correlated into one logical change. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConfwatchError } from '../../errors.js';
import type { SnapshotStore } from '../../store/snapshot-store.js';
import { guardedErrors, idSchema, limitSchema, nameSchema } from './common.schema.js';

const changeSetSchema = z.object({
  id: z.string(),
  device: z.string(),
  title: z.string(),
  count: z.number(),
  openedAt: z.string(),
  closedAt: z.string().nullable(),
});

export const changeSetRoutes =
  (store: Pick<SnapshotStore, 'listChangeSets' | 'getChangeSet'>): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/change-sets', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['history'],
        summary: 'Recent change sets, newest first',
        querystring: z.object({ device: nameSchema.optional(), limit: limitSchema(500, 50) }),
        response: { 200: z.object({ changeSets: z.array(changeSetSchema) }), ...guardedErrors },
      },
      handler: async (request) => ({ changeSets: await store.listChangeSets(request.query.device, request.query.limit) }),
    });

    app.get('/api/change-sets/:id', {
      config: { scope: 'config:view' },
      schema: { tags: ['history'], summary: 'One change set', params: z.object({ id: idSchema }), response: { 200: changeSetSchema, ...guardedErrors } },
      handler: async (request) => {
        const changeSet = await store.getChangeSet(request.params.id);
        if (!changeSet) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown change set "${request.params.id}"`);
        return changeSet;
      },
    });
  };
