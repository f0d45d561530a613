import { z } from 'zod';
import { CONFIG_TYPES } from '../../parsers/parser.js';
import { idSchema } from './common.schema.js';

export const snapshotParams = z.object({ id: idSchema });

const validationSchema = z.object({
  status: z.enum(['valid', 'invalid', 'unavailable']),
  tool: z.string(),
  output: z.string(),
  durationMs: z.number(),
});

const issueSchema = z.object({ message: z.string(), line: z.number().optional(), column: z.number().optional() });

export const snapshotSchema = z.object({
  id: z.string(),
  device: z.string(),
  path: z.string(),
  configType: z.enum(CONFIG_TYPES),
  contentHash: z.string().nullable(),
  hasContent: z.boolean(),
  size: z.number().nullable(),
  mode: z.number().nullable(),
  uid: z.number().nullable(),
  gid: z.number().nullable(),
  mtimeMs: z.number().nullable(),
  changeType: z.enum(['initial', 'created', 'modified', 'deleted', 'moved', 'metadata']),
  source: z.enum(['realtime', 'poll', 'rescan', 'restore', 'rollback', 'batch', 'import', 'change-request']),
  previousId: z.string().nullable(),
  movedFromPath: z.string().nullable(),
  changeSetId: z.string().nullable(),
  changeRequestId: z.string().nullable().optional().describe('the change request this version was written for'),
  actor: z.string().nullable(),
  validation: validationSchema.nullable(),
  risk: z.string().nullable(),
  detectedAt: z.string(),
  storedAt: z.string(),
});

export const parsedSchema = z.object({
  id: z.string(),
  configType: z.enum(CONFIG_TYPES),
  parsed: z.unknown(),
  parseErrors: z.array(issueSchema).nullable(),
  redacted: z.boolean(),
});

export const impactSchema = z.object({ id: z.string(), risk: z.string().nullable(), impact: z.unknown() });
