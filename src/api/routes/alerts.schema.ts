/** Response shapes of the alert routes (the UI takes its types from here). */
import { z } from 'zod';
import { ALERT_EVENTS } from '../../alerts/alert.js';
import { CHANNEL_KINDS } from '../../alerts/channel-url.js';
import { RISK_LEVELS } from '../../analysis/risk-level.js';

export const riskSchema = z.enum(RISK_LEVELS);

export const channelSchema = z.object({
  name: z.string(),
  kind: z.enum(CHANNEL_KINDS),
  url: z.string().describe('the channel URL with its secrets masked'),
  minRisk: riskSchema.nullable(),
  createdAt: z.string(),
});

export const ruleSchema = z.object({
  name: z.string(),
  channels: z.array(z.string()).readonly(),
  minRisk: riskSchema,
  devices: z.array(z.string()).readonly(),
  tags: z.array(z.string()).readonly(),
  paths: z.array(z.string()).readonly(),
  events: z.array(z.enum(ALERT_EVENTS)).readonly(),
  quiet: z.object({ start: z.string(), end: z.string() }).nullable(),
  digestSec: z.number().nullable(),
});

export const deliverySchema = z.object({
  id: z.string(),
  channel: z.string(),
  event: z.string(),
  riskLevel: z.string(),
  status: z.enum(['queued', 'held', 'sent', 'failed', 'suppressed']),
  attempts: z.number(),
  at: z.string(),
  device: z.string(),
  title: z.string(),
  receiverStatus: z.string().nullable(),
  error: z.string().nullable(),
  updatedAt: z.string(),
});

export const testSchema = z.object({ delivered: z.boolean(), status: z.union([z.number(), z.string()]).nullable(), error: z.string().optional() });

