import { z } from 'zod';
import { idSchema, nameSchema, remotePathSchema } from './common.schema.js';
import { candidateContent, validationResultSchema } from './validation.schema.js';

export const restoreBody = z
  .object({
    dryRun: z.boolean().optional().describe('show the diff and the validation, write nothing'),
    force: z.boolean().optional().describe('write even if the live file changed since the latest snapshot or lies outside the watched globs'),
    validate: z.boolean().optional().describe('validate first and refuse on invalid (default true)'),
    reload: z.boolean().optional().describe("run the profile's reload command afterwards"),
  })
  .strict();

const reloadSchema = z.object({ command: z.string(), code: z.number().nullable(), output: z.string() });

export const writebackFileSchema = z.object({
  device: z.string(),
  path: z.string(),
  action: z.enum(['write', 'delete', 'unchanged']),
  fromHash: z.string().nullable(),
  toHash: z.string().nullable(),
  validation: validationResultSchema.nullable(),
  warning: z.string().optional().describe('set when the file was written although validation could not run in context'),
  diff: z.string().describe('unified diff from the live file to the new content'),
  refused: z.string().optional().describe('why confwatch will not write this file (the batch is refused)'),
  snapshotId: z.string().optional(),
});

const batchResultShape = {
  batchId: z.string(),
  status: z.enum(['applied', 'dry-run']),
  files: z.array(writebackFileSchema),
};

export const restoreResultSchema = z.object({
  ...batchResultShape,
  device: z.string(),
  path: z.string(),
  restoredFrom: z.string(),
  reload: reloadSchema.nullable().optional(),
});

export const applyResultSchema = z.object({
  ...batchResultShape,
  reloads: z.array(z.object({ device: z.string(), result: reloadSchema })),
});

export const driftQuery = z.object({ device: nameSchema.optional() });

export const driftReportSchema = z.object({
  checkedAt: z.string(),
  checked: z.number(),
  findings: z.array(
    z.object({
      device: z.string(),
      path: z.string(),
      status: z.enum(['drifted', 'missing', 'unreachable', 'unreadable']),
      baselineSnapshotId: z.string().nullable(),
      baselineHash: z.string().nullable(),
      liveHash: z.string().nullable(),
      error: z.string().optional(),
    }),
  ),
});

export const driftResolveBody = z
  .object({
    device: nameSchema,
    path: remotePathSchema,
    resolution: z.enum(['restore', 'accept']),
    validate: z.boolean().optional().describe('validate the baseline before writing it back and refuse on invalid (default true)'),
  })
  .strict();

export const rollbackApplyBody = z
  .object({ validate: z.boolean().optional().describe('validate every file of the plan and refuse on invalid (default true)') })
  .strict()
  // no body at all is the usual call
  .nullish();

export const driftResolutionSchema = z.object({ device: z.string(), path: z.string(), resolution: z.enum(['restore', 'accept']), snapshotId: z.string() });

/** An acceptance the device's policy turned into a change request (`driftApproval`, CRITICAL impact): proposed, not yet accepted. */
export const driftGatedSchema = z.object({
  device: z.string(),
  path: z.string(),
  resolution: z.literal('accept'),
  changeRequest: z.object({ id: z.string(), status: z.string(), riskLevel: z.string(), requiredApprovals: z.number() }),
});

export const rollbackPlanBody = z
  .object({
    device: nameSchema,
    to: z.iso.datetime({ offset: true }).optional().describe('return to the state at this time'),
    changeSetId: idSchema.optional().describe('return to the state just before this change set'),
  })
  .strict()
  .refine((b) => (b.to === undefined) !== (b.changeSetId === undefined), { message: 'give exactly one of to or changeSetId', path: ['to'] });

export const planParams = z.object({ id: idSchema });

export const rollbackPlanSchema = z.object({
  id: z.string(),
  device: z.string(),
  target: z.object({ time: z.string().optional(), changeSetId: z.string().optional(), cutoff: z.string() }),
  createdAt: z.string(),
  status: z.enum(['planned', 'applied', 'failed']),
  steps: z.array(
    z.object({
      path: z.string(),
      action: z.enum(['restore', 'delete', 'recreate']),
      fromHash: z.string().nullable(),
      toSnapshotId: z.string().nullable(),
      toHash: z.string().nullable(),
      diff: z.string(),
      result: z.object({ status: z.enum(['ok', 'failed']), snapshotId: z.string().optional(), error: z.string().optional() }).optional(),
    }),
  ),
});

const SOURCES = ['content', 'contentBase64', 'snapshot', 'delete'] as const;

/** One entry of a batch: the changes file's entry, with binary content as base64. */
export const batchEntry = z
  .object({
    device: nameSchema,
    path: remotePathSchema,
    ...candidateContent,
    snapshot: idSchema.optional(),
    delete: z.literal(true).optional(),
    expectHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (sha256)').optional(),
    mode: z.string().regex(/^0?[0-7]{3,4}$/, 'must be octal permission bits such as "0644"').optional(),
  })
  .strict()
  .refine((e) => SOURCES.filter((k) => e[k] !== undefined).length === 1, {
    message: `give exactly one of ${SOURCES.join(', ')}`,
    path: ['content'],
  });

/** The changes file (`confwatch apply`) as JSON, plus `dryRun`. */
export const batchBody = z
  .object({
    validate: z.boolean().default(true).describe('validate every candidate and refuse the batch on invalid'),
    reload: z.boolean().default(false).describe('run reload commands after a successful apply'),
    dryRun: z.boolean().default(false).describe('show diffs and validation, write nothing'),
    changes: z.array(batchEntry).min(1).max(1000),
  })
  .strict();

export type BatchBody = z.infer<typeof batchBody>;
