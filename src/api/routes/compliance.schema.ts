import { z } from 'zod';
import { changeRequestSchema } from './change-requests.schema.js';
import { nameSchema, remotePathSchema } from './common.schema.js';

const severity = z.enum(['low', 'medium', 'high', 'critical']);

export const complianceQuery = z.object({ device: nameSchema.optional() }).strict();

export const complianceResultSchema = z.object({
  device: z.string(),
  path: z.string(),
  rule: z.string(),
  status: z.enum(['pass', 'fail', 'waived', 'error']),
  message: z.string().nullable(),
  line: z.number().nullable(),
  firstSeen: z.string(),
  lastSeen: z.string(),
});

export const complianceResultsSchema = z.object({ results: z.array(complianceResultSchema) });

export const complianceTrendSchema = z.object({
  trend: z.array(
    z.object({
      device: z.string(),
      pack: z.string(),
      at: z.string(),
      pass: z.number(),
      fail: z.number(),
      waived: z.number(),
      error: z.number(),
      score: z.number().nullable(),
    }),
  ),
});

export const complianceRunBody = z.object({ device: nameSchema.optional() }).strict();

export const complianceRunSchema = z.object({
  summary: z.object({ pass: z.number(), fail: z.number(), waived: z.number(), error: z.number() }),
  findings: z.array(
    z.object({
      rule: z.string(),
      severity,
      device: z.string(),
      path: z.string(),
      status: z.enum(['fail', 'waived', 'error']),
      message: z.string().nullable(),
      line: z.number().nullable(),
    }),
  ),
});

export const complianceRulesSchema = z.object({
  rules: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      severity,
      configType: z.string(),
      source: z.object({ ref: z.string(), url: z.string().optional() }),
      remediation: z.string(),
      custom: z.boolean(),
      /** The tool that measures the rule on the device (not a CEL check over the parse). */
      measuredBy: z.string().optional(),
    }),
  ),
});

export const fixBody = z
  .object({
    rule: z.string().min(1).max(200),
    device: nameSchema,
    path: remotePathSchema,
    /** Also open a change request with the fixed file (by the caller; it takes the approvals its risk asks for). */
    propose: z.boolean().optional(),
  })
  .strict();

export const fixSchema = z.object({
  rule: z.string(),
  device: z.string(),
  path: z.string(),
  /** Unified diff from the latest stored version to the fixed one (secret values redacted without secrets:view). */
  diff: z.string(),
  changeRequest: changeRequestSchema.optional(),
});

export const waiverSchema = z.object({
  id: z.string(),
  rule: z.string(),
  device: z.string(),
  path: z.string().nullable(),
  reason: z.string(),
  expiresAt: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
});

export const waiversSchema = z.object({ waivers: z.array(waiverSchema) });

export const waiveBody = z
  .object({
    rule: z.string().min(1).max(200),
    device: nameSchema,
    path: remotePathSchema.optional(),
    reason: z.string().min(1).max(2000),
    expires: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
