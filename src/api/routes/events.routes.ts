/**
 * `GET /api/events`: the live event stream (SPEC §5) as Server-Sent Events.
 * A reconnecting client sends `Last-Event-ID` (or `?lastEventId=`) and is
 * first replayed what the bus still holds after that id.
 *
 * A stream lives no longer than its credential: it ends when the token or
 * session expires, and when a periodic re-check finds it revoked, its user
 * disabled or its scopes changed (the client reconnects and is judged anew).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { redactValue } from '../../auth/redact.js';
import type { EventBus } from '../../events/event-bus.js';
import type { ConfwatchEvent } from '../../events/event-map.js';
import type { Principal } from '../../auth/principal.js';
import { authenticate, type GuardDeps } from '../plugins/guard.js';
import { SseClient, type SseClientOptions } from '../sse/sse-client.js';
import { guardedErrors, nameSchema } from './common.schema.js';
import { seesSecrets } from './snapshots.routes.js';

export interface EventRouteOptions extends Pick<SseClientOptions, 'maxBufferedBytes' | 'heartbeatMs'> {
  /** How often a stream's credential is checked again (revocation, disabled user). Default 5,000 ms. */
  readonly authRecheckMs?: number;
}

/** setTimeout's largest delay; a later expiry is caught by the periodic re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

const sameScopes = (a: Principal, b: Principal): boolean => a.scopes.size === b.scopes.size && [...a.scopes].every((s) => b.scopes.has(s));

export const eventRoutes =
  (bus: EventBus, auth: GuardDeps['auth'], options: EventRouteOptions = {}): FastifyPluginAsyncZod =>
  async (app) => {
    const { authRecheckMs = 5000, ...clientOptions } = options;
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
        const principal = request.principal as Principal;
        reply.hijack();
        let unsubscribe = () => {};
        let expiry: NodeJS.Timeout | undefined;
        let recheck: NodeJS.Timeout | undefined;
        const client = new SseClient(reply.raw, {
          ...clientOptions,
          onClose: (reason) => {
            unsubscribe();
            clearTimeout(expiry);
            clearInterval(recheck);
            clients.delete(client);
            if (reason === 'overflow') request.log.warn({ device }, 'dropped a slow event-stream client');
          },
        });
        clients.add(client);
        if (principal.expiresAt) {
          expiry = setTimeout(() => client.end(), Math.min(Math.max(0, Date.parse(principal.expiresAt) - Date.now()), MAX_TIMER_MS));
          expiry.unref();
        }
        recheck = setInterval(() => {
          authenticate(request, auth).then(
            (now) => {
              if (!now || !sameScopes(now, principal)) client.end();
            },
            () => client.end(),
          );
        }, authRecheckMs);
        recheck.unref();
        const deliver = (event: ConfwatchEvent) => {
          if (device === undefined || event.device === device) client.send(event.id, event.type, redact ? redactValue(event) : event);
        };
        // The bus is synchronous: replaying and subscribing in one turn neither loses nor repeats an event.
        if (after !== undefined) for (const event of bus.replay(after)) deliver(event);
        if (client.open) unsubscribe = bus.subscribe(deliver);
      },
    });
  };
