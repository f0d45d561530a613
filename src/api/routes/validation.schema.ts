import { z } from 'zod';
import { nameSchema, remotePathSchema } from './common.schema.js';

/** A validation outcome: the real tool's verdict, or `unavailable` when it could not run. */
export const validationResultSchema = z.object({
  status: z.enum(['valid', 'invalid', 'unavailable']),
  tool: z.string(),
  output: z.string(),
  durationMs: z.number(),
});

/** Candidate content as text or base64 (binary files); neither validates the live file. */
export const candidateContent = {
  content: z.string().max(4 * 1024 * 1024).optional(),
  contentBase64: z.base64().max(6 * 1024 * 1024).optional(),
};

export const validateBody = z
  .object({ device: nameSchema, path: remotePathSchema, ...candidateContent })
  .strict()
  .refine((b) => b.content === undefined || b.contentBase64 === undefined, { message: 'give content or contentBase64, not both', path: ['contentBase64'] });

export const fileValidationSchema = validationResultSchema.extend({
  device: z.string(),
  path: z.string(),
  configType: z.string(),
  contentHash: z.string(),
  recorded: z.boolean(),
});
