import { z } from 'zod';
import { CONFIG_TYPES } from '../../parsers/parser.js';
import { nameSchema } from './common.schema.js';

export const trackedFileSchema = z.object({
  device: z.string(),
  path: z.string(),
  configType: z.enum(CONFIG_TYPES),
  profile: z.string(),
  latestSnapshotId: z.string().nullable(),
  baselineSnapshotId: z.string().nullable(),
  contentHash: z.string().nullable(),
  deleted: z.boolean(),
  syncStatus: z.enum(['synced', 'drifted', 'missing', 'unreadable', 'error', 'unknown']),
  validationStatus: z.enum(['pending', 'valid', 'invalid', 'unavailable', 'skipped']),
  lastError: z.string().nullable(),
  lastCheckedAt: z.string().nullable(),
  size: z.number().nullable(),
  mtimeMs: z.number().nullable(),
});

export const filesQuery = z.object({ device: nameSchema.optional() });
