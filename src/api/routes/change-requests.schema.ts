/** Request and response shapes of the change-request routes (the UI takes its types from here). */
import { z } from 'zod';
import { RISK_LEVELS } from '../../analysis/risk-level.js';
import { CHANGE_REQUEST_STATUSES } from '../../store/change-requests.repository.js';
import { idSchema, nameSchema } from './common.schema.js';
import { validationResultSchema } from './validation.schema.js';
import { batchEntry } from './writeback.schema.js';

const riskSchema = z.enum(RISK_LEVELS);

export const changeRequestParams = z.object({ id: idSchema });

export const changeRequestQuery = z.object({ status: z.enum(CHANGE_REQUEST_STATUSES).optional() });

/** A proposal (or the replacement of a request's changes): the batch entries of `POST /api/batches`. */
export const proposeBody = z
  .object({
    title: z.string().max(200).optional(),
    changes: z.array(batchEntry).min(1).max(1000),
    validate: z.boolean().default(true).describe('validate every candidate in context (at proposal and at apply)'),
    reload: z.boolean().default(false).describe('run reload commands after the apply'),
    applyOnApproval: z.boolean().default(false).describe('apply as soon as the last required approval arrives'),
  })
  .strict();

export type ProposeBody = z.infer<typeof proposeBody>;

export const approveBody = z.object({ comment: z.string().max(2000).optional() }).strict().nullish();
export const rejectBody = z.object({ comment: z.string().min(1).max(2000) }).strict();
export const applyBody = z
  .object({
    breakGlass: z.boolean().default(false).describe('admins only: apply without the approvals; audited and alerted CRITICAL'),
    reason: z.string().max(2000).optional().describe('why, required with breakGlass'),
  })
  .strict()
  .nullish();

const reviewSchema = z.object({ user: z.string(), comment: z.string().nullable(), at: z.string() });

const impactSchema = z.object({
  riskLevel: riskSchema,
  reasons: z.array(z.object({ rule: z.string(), level: riskSchema, detail: z.string() })).readonly(),
  affectedServices: z.array(z.string()).readonly(),
  downstreamServices: z.array(z.string()).readonly(),
  recommendedActions: z.array(z.string()).readonly(),
});

export const changeRequestSchema = z.object({
  id: z.string(),
  status: z.enum(CHANGE_REQUEST_STATUSES),
  riskLevel: riskSchema,
  requiredApprovals: z.number(),
  approvals: z.array(reviewSchema).readonly(),
  rejections: z.array(reviewSchema).readonly(),
  title: z.string(),
  author: z.string(),
  revision: z.number(),
  digest: z.string().describe('what approvals are bound to: every target, its new content hash and its base hash'),
  applyOnApproval: z.boolean(),
  validate: z.boolean(),
  reload: z.boolean(),
  devices: z.array(z.string()).readonly(),
  origin: z.record(z.string(), z.unknown()).nullable(),
  files: z
    .array(
      z.object({
        device: z.string(),
        path: z.string(),
        action: z.enum(['write', 'delete', 'unchanged', 'accept']),
        baseHash: z.string().nullable(),
        toHash: z.string().nullable(),
        riskLevel: riskSchema,
        impact: impactSchema,
        validation: validationResultSchema.nullable(),
        warning: z.string().optional(),
        diff: z.string(),
      }),
    )
    .readonly(),
  outcome: z
    .object({
      appliedBy: z.string().optional(),
      appliedAt: z.string().optional(),
      batchId: z.string().optional(),
      snapshotIds: z.array(z.string()).readonly().optional(),
      code: z.string().optional(),
      error: z.string().optional(),
      conflicts: z.array(z.object({ device: z.string(), path: z.string(), baseHash: z.string().nullable(), liveHash: z.string().nullable() })).readonly().optional(),
      breakGlass: z.object({ by: z.string(), reason: z.string() }).optional(),
      autoApproved: z.boolean().optional(),
    })
    .nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  expiresAt: z.string(),
});

export const changeRequestListSchema = z.object({ changeRequests: z.array(changeRequestSchema) });

export const changePolicySchema = z.object({
  approvals: z.object({ LOW: z.number(), MEDIUM: z.number(), HIGH: z.number(), CRITICAL: z.number() }),
  expiryDays: z.number(),
  driftApproval: z.object({ global: z.boolean(), devices: z.record(z.string(), z.boolean()) }),
});

export const policyBody = z
  .object({
    approvals: z.object({ LOW: z.number().int(), MEDIUM: z.number().int(), HIGH: z.number().int(), CRITICAL: z.number().int() }).partial().optional(),
    expiryDays: z.number().int().optional(),
    driftApproval: z.object({ device: nameSchema.optional(), enabled: z.boolean().nullable() }).strict().optional(),
  })
  .strict();
