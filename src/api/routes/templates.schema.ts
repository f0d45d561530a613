/** Request and response shapes of the template routes (the UI takes its types from here). */
import { z } from 'zod';
import { CONFIG_TYPES } from '../../parsers/parser.js';
import { nameSchema, remotePathSchema } from './common.schema.js';

/** The largest body accepted: the same limit the service applies. */
const MAX_BODY = 256 * 1024;

export const configTypeSchema = z.enum(CONFIG_TYPES as unknown as [string, ...string[]]);

/** Variables as JSON; the template's schema decides what they may hold. */
export const variablesSchema = z.record(z.string().max(256), z.unknown());

export const templateSchema = z.object({
  name: z.string(),
  type: z.string(),
  version: z.number(),
  description: z.string().nullable(),
  builtin: z.boolean(),
  createdAt: z.string().nullable(),
  createdBy: z.string().nullable(),
});

export const templateVersionSchema = z.object({
  version: z.number(),
  type: z.string(),
  description: z.string().nullable(),
  createdAt: z.string().nullable(),
  createdBy: z.string().nullable(),
});

export const templateDetailSchema = templateSchema.extend({
  body: z.string(),
  schema: z.unknown(),
  versions: z.array(templateVersionSchema).readonly(),
});

export const addTemplateBody = z.object({
  name: nameSchema,
  type: configTypeSchema,
  body: z.string().max(MAX_BODY),
  schema: z.record(z.string(), z.unknown()).optional(),
  description: z.string().max(500).optional(),
});

export const renderBody = z.object({
  variables: variablesSchema.optional(),
  version: z.number().int().min(1).optional(),
});

export const renderResultSchema = z.object({
  content: z.string(),
  valid: z.boolean().describe('parse-level validity: the config type\'s parser found no errors (no host was asked)'),
  errors: z.array(z.string()).readonly(),
  template: z.string(),
  version: z.number(),
  type: z.string(),
});

export const applyBody = z.object({
  device: nameSchema,
  path: remotePathSchema,
  variables: variablesSchema.optional(),
  version: z.number().int().min(1).optional(),
  title: z.string().min(1).max(200).optional(),
});

export const applyResultSchema = z.object({
  template: z.string(),
  version: z.number(),
  device: z.string(),
  path: z.string(),
  contentHash: z.string(),
  validation: z.object({ status: z.string(), tool: z.string(), output: z.string() }).nullable().describe("the target's validation in context, as the change request recorded it"),
  changeRequest: z.object({
    id: z.string(),
    status: z.string(),
    riskLevel: z.string(),
    requiredApprovals: z.number().optional(),
    approvals: z.array(z.unknown()).readonly().optional(),
  }),
});
