/**
 * Alert channels, rules and test messages (scope alerts:manage, admins) and
 * the delivery log (config:view). Channel URLs hold tokens: responses carry
 * them redacted, and the audit log names only the channel.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ALERT_EVENTS } from '../../alerts/alert.js';
import type { AlertService } from '../../services/alert.service.js';
import { noteAuditTarget } from '../plugins/guard.js';
import { channelSchema, deliverySchema, riskSchema, ruleSchema, testSchema } from './alerts.schema.js';
import { errorSchema, guardedErrors, limitSchema, nameSchema } from './common.schema.js';

const nameParams = z.object({ name: nameSchema });
const list = (max: number) => z.array(z.string().min(1).max(max)).max(100).optional();

export const alertRoutes =
  (alerts: AlertService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/alerts/channels', {
      config: { scope: 'alerts:manage' },
      schema: { tags: ['alerts'], summary: 'Alert channels (URLs redacted)', response: { 200: z.object({ channels: z.array(channelSchema) }), ...guardedErrors } },
      handler: async () => ({ channels: await alerts.listChannels() }),
    });

    app.post('/api/alerts/channels', {
      config: { scope: 'alerts:manage', action: 'alert.channel.add' },
      schema: {
        tags: ['alerts'],
        summary: 'Add a channel from its URL (ntfy://, gotify://, discord://, slack://, pagerduty://, mailto://, json://)',
        body: z.object({ name: nameSchema, url: z.string().min(1).max(4096), minRisk: riskSchema.optional() }),
        response: { 201: channelSchema, ...guardedErrors, 409: errorSchema },
      },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['channel', request.body.name]);
        return reply.code(201).send(await alerts.addChannel(request.body.name, request.body.url, request.body.minRisk));
      },
    });

    app.delete('/api/alerts/channels/:name', {
      config: { scope: 'alerts:manage', action: 'alert.channel.remove' },
      schema: { tags: ['alerts'], summary: 'Remove a channel', params: nameParams, response: { 204: z.null(), ...guardedErrors } },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['channel', request.params.name]);
        await alerts.removeChannel(request.params.name);
        return reply.code(204).send(null);
      },
    });

    app.post('/api/alerts/channels/:name/test', {
      config: { scope: 'alerts:manage', action: 'alert.test' },
      schema: { tags: ['alerts'], summary: "Send a test message; the receiver's answer", params: nameParams, response: { 200: testSchema, ...guardedErrors } },
      handler: async (request) => {
        noteAuditTarget(request, ['channel', request.params.name]);
        return alerts.test(request.params.name);
      },
    });

    app.get('/api/alerts/rules', {
      config: { scope: 'alerts:manage' },
      schema: { tags: ['alerts'], summary: 'Alert rules', response: { 200: z.object({ rules: z.array(ruleSchema) }), ...guardedErrors } },
      handler: async () => ({ rules: await alerts.listRules() }),
    });

    app.post('/api/alerts/rules', {
      config: { scope: 'alerts:manage', action: 'alert.rule.add' },
      schema: {
        tags: ['alerts'],
        summary: 'Add a rule; with any rule the default policy no longer applies',
        body: z.object({
          name: nameSchema,
          channels: z.array(nameSchema).min(1).max(50),
          minRisk: riskSchema.optional(),
          devices: list(63),
          tags: list(63),
          paths: list(4096),
          events: z.array(z.enum(ALERT_EVENTS)).optional(),
          quiet: z.string().max(11).optional(),
          digestSec: z.number().int().min(1).max(86_400).optional(),
        }),
        response: { 201: ruleSchema, ...guardedErrors, 409: errorSchema },
      },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['rule', request.body.name]);
        return reply.code(201).send(await alerts.addRule(request.body));
      },
    });

    app.delete('/api/alerts/rules/:name', {
      config: { scope: 'alerts:manage', action: 'alert.rule.remove' },
      schema: { tags: ['alerts'], summary: 'Remove a rule', params: nameParams, response: { 204: z.null(), ...guardedErrors } },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['rule', request.params.name]);
        await alerts.removeRule(request.params.name);
        return reply.code(204).send(null);
      },
    });

    app.get('/api/alerts/log', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['alerts'],
        summary: 'Recent deliveries, newest first',
        querystring: z.object({ limit: limitSchema(1000, 50) }),
        response: { 200: z.object({ deliveries: z.array(deliverySchema) }), ...guardedErrors },
      },
      handler: async (request) => ({ deliveries: await alerts.log(request.query.limit) }),
    });
  };
