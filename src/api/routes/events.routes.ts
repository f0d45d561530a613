/**
 * `GET /api/events`: the live event stream (SPEC §5) as Server-Sent Events.
 * A reconnecting client sends `Last-Event-ID` (or `?lastEventId=`) and is
 * first replayed what the bus still holds after that id.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { redactValue } from '../../auth/redact.js';
import type { EventBus } from '../../events/event-bus.js';
import type { ConfwatchEvent } from '../../events/event-map.js';
import { SseClient, type SseClientOptions } from '../sse/sse-client.js';
import { guardedErrors, nameSchema } from './common.schema.js';
import { seesSecrets } from './snapshots.routes.js';

export interface EventRouteOptions extends Pick<SseClientOptions, 'maxBufferedBytes' | 'heartbeatMs'> {}

export const eventRoutes =
  (bus: EventBus, options: EventRouteOptions = {}): FastifyPluginAsyncZod =>
  async (app) => {
    const clients = new Set<SseClient>();
    app.addHook('onClose', async () => {
      for (const client of clients) client.end();
    });

    app.get('/api/events', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['events'],
        summary: 'Server-Sent Events: the SPEC §5 catalog, with replay from Last-Event-ID',
        headers: z.object({ 'last-event-id': z.string().regex(/^\d+$/).optional() }),
        querystring: z.object({ device: nameSchema.optional(), lastEventId: z.coerce.number().int().min(0).optional() }),
        response: guardedErrors,
      },
      handler: async (request, reply) => {
        const header = request.headers['last-event-id'];
        const after = header !== undefined ? Number(header) : request.query.lastEventId;
        const device = request.query.device;
        const redact = !seesSecrets(request);
        reply.hijack();
        let unsubscribe = () => {};
        const client = new SseClient(reply.raw, {
          ...options,
          onClose: (reason) => {
            unsubscribe();
            clients.delete(client);
            if (reason === 'overflow') request.log.warn({ device }, 'dropped a slow event-stream client');
          },
        });
        clients.add(client);
        const deliver = (event: ConfwatchEvent) => {
          if (device === undefined || event.device === device) client.send(event.id, event.type, redact ? redactValue(event) : event);
        };
        // The bus is synchronous: replaying and subscribing in one turn neither loses nor repeats an event.
        if (after !== undefined) for (const event of bus.replay(after)) deliver(event);
        if (client.open) unsubscribe = bus.subscribe(deliver);
      },
    });
  };
