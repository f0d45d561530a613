/**
 * Write-back over HTTP, through WritebackService: restore a snapshot,
 * check and resolve drift, plan and apply rollbacks, run a batch. The
 * actor is the caller's user name; the guard audits every call. Diffs and
 * tool output are redacted for callers without `secrets:view`.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { redactText, redactUnifiedDiff } from '../../auth/redact.js';
import type { WritebackService } from '../../services/writeback.service.js';
import type { ChangeRequestService } from '../../services/change-request.service.js';
import type { SnapshotStore } from '../../store/snapshot-store.js';
import type { ChangeEntry, ChangesFile } from '../../writeback/changes-file.js';
import type { BatchFileResult } from '../../writeback/batch.js';
import type { RollbackPlan } from '../../writeback/rollback-plan.js';
import { notFound } from '../plugins/error-handler.js';
import { batchAuditPairs } from '../../auth/audit-target.js';
import { noteAuditPreview, noteAuditTarget } from '../plugins/guard.js';
import { errorSchema, guardedErrors } from './common.schema.js';
import { snapshotParams } from './snapshots.schema.js';
import { seesSecrets } from './snapshots.routes.js';
import { candidateBytes, validationFor } from './validation.routes.js';
import {
  applyResultSchema,
  type BatchBody,
  batchBody,
  driftQuery,
  driftReportSchema,
  driftGatedSchema,
  driftResolutionSchema,
  driftResolveBody,
  planParams,
  restoreBody,
  restoreResultSchema,
  rollbackPlanBody,
  rollbackPlanSchema,
  rollbackApplyBody,
} from './writeback.schema.js';

/** Errors a write-back can answer besides the guarded ones. */
const writebackErrors = { 409: errorSchema, 422: errorSchema, 500: errorSchema, 502: errorSchema } as const;

/** The user the write-back is recorded for. */
const actorOf = (request: FastifyRequest): string => request.principal?.user ?? 'anonymous';

/** A write-back file as this caller may see it. */
function fileFor(request: FastifyRequest, file: BatchFileResult): BatchFileResult {
  const redact = !seesSecrets(request);
  return { ...file, diff: redact ? redactUnifiedDiff(file.diff) : file.diff, validation: validationFor(request, file.validation) };
}

function planFor(request: FastifyRequest, plan: RollbackPlan): RollbackPlan {
  if (seesSecrets(request)) return plan;
  return { ...plan, steps: plan.steps.map((step) => ({ ...step, diff: redactUnifiedDiff(step.diff) })) };
}

/** The JSON batch as the changes file WritebackService.apply runs; `line` is the entry's 1-based position. */
export function changesFileOf(body: BatchBody): ChangesFile {
  const changes = body.changes.map((entry, i): ChangeEntry => {
    const content = candidateBytes(entry);
    const source: ChangeEntry['source'] =
      content !== undefined ? { kind: 'content', content } : entry.snapshot !== undefined ? { kind: 'snapshot', snapshotId: entry.snapshot } : { kind: 'delete' };
    return {
      device: entry.device,
      path: entry.path,
      source,
      ...(entry.expectHash !== undefined ? { expectHash: entry.expectHash } : {}),
      ...(entry.mode !== undefined ? { mode: Number.parseInt(entry.mode, 8) } : {}),
      line: i + 1,
    };
  });
  return { validate: body.validate, reload: body.reload, changes };
}

export const writebackRoutes =
  (writeback: WritebackService, devices: Pick<SnapshotStore, 'getDevice'>, changes?: Pick<ChangeRequestService, 'acceptDrift'>): FastifyPluginAsyncZod =>
  async (app) => {
    app.post('/api/snapshots/:id/restore', {
      config: { scope: 'config:restore', action: 'snapshot.restore' },
      schema: {
        tags: ['write-back'],
        summary: 'Write a version back to its host (dryRun: diff and validation only)',
        params: snapshotParams,
        body: restoreBody,
        response: { 200: restoreResultSchema, ...guardedErrors, ...writebackErrors },
      },
      handler: async (request) => {
        if (request.body.dryRun) noteAuditPreview(request);
        const result = await writeback.restore({ snapshotId: request.params.id, ...request.body, actor: actorOf(request) });
        noteAuditTarget(request, ['device', result.device], ['path', result.path], ['batch', result.batchId]);
        return { ...result, files: result.files.map((f) => fileFor(request, f)) };
      },
    });

    app.get('/api/drift', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['write-back'],
        summary: 'Check now which tracked files differ from their baseline (one device, or all)',
        querystring: driftQuery,
        response: { 200: driftReportSchema, ...guardedErrors },
      },
      handler: async (request) => {
        const { device } = request.query;
        if (device !== undefined && !(await devices.getDevice(device))) throw notFound(`unknown device "${device}"`);
        const report = await writeback.checkDrift(device);
        if (seesSecrets(request)) return report;
        return { ...report, findings: report.findings.map((f) => (f.error ? { ...f, error: redactText(f.error) } : f)) };
      },
    });

    app.post('/api/drift/resolve', {
      config: { scope: 'config:restore', action: 'drift.resolve' },
      schema: {
        tags: ['write-back'],
        summary: 'End drift: restore the baseline, or accept the live file as the new baseline',
        body: driftResolveBody,
        response: { 200: driftResolutionSchema, 202: driftGatedSchema, ...guardedErrors, ...writebackErrors },
      },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['device', request.body.device], ['path', request.body.path]);
        if (changes && request.body.resolution === 'accept') {
          // the device's policy may send a CRITICAL acceptance through a change request (202: proposed, not accepted)
          const accepted = await changes.acceptDrift(actorOf(request), request.body.device, request.body.path);
          if (accepted.gated) {
            const cr = accepted.request;
            noteAuditTarget(request, ['change-request', cr.id]);
            return reply.code(202).send({ device: request.body.device, path: request.body.path, resolution: 'accept' as const, changeRequest: { id: cr.id, status: cr.status, riskLevel: cr.riskLevel, requiredApprovals: cr.requiredApprovals } });
          }
          noteAuditTarget(request, ['snapshot', accepted.snapshotId]);
          return { device: request.body.device, path: request.body.path, resolution: 'accept' as const, snapshotId: accepted.snapshotId };
        }
        const resolution = await writeback.resolveDrift({ ...request.body, actor: actorOf(request) });
        noteAuditTarget(request, ['snapshot', resolution.snapshotId]);
        return resolution;
      },
    });

    app.post('/api/rollback-plans', {
      config: { scope: 'config:restore', action: 'rollback.plan' },
      schema: {
        tags: ['write-back'],
        summary: 'Plan the return of a device to its state at a time or before a change set',
        body: rollbackPlanBody,
        response: { 201: rollbackPlanSchema, ...guardedErrors },
      },
      handler: async (request, reply) => {
        const { device, to, changeSetId } = request.body;
        noteAuditTarget(request, ['device', device]);
        const plan = await writeback.planRollback(device, to !== undefined ? { time: to } : { changeSetId: changeSetId as string });
        noteAuditTarget(request, ['id', plan.id]);
        return reply.code(201).send(planFor(request, plan));
      },
    });

    app.get('/api/rollback-plans/:id', {
      config: { scope: 'config:view' },
      schema: { tags: ['write-back'], summary: 'A rollback plan and, once applied, its per-step results', params: planParams, response: { 200: rollbackPlanSchema, ...guardedErrors } },
      handler: async (request) => planFor(request, await writeback.getPlan(request.params.id)),
    });

    app.post('/api/rollback-plans/:id/apply', {
      config: { scope: 'config:restore', action: 'rollback.apply' },
      schema: {
        tags: ['write-back'],
        summary: 'Apply a plan as one atomic batch (refused when a file changed after planning)',
        params: planParams,
        body: rollbackApplyBody,
        response: { 200: rollbackPlanSchema, ...guardedErrors, ...writebackErrors },
      },
      handler: async (request) => {
        const plan = await writeback.applyPlan(request.params.id, actorOf(request), request.body?.validate === false ? { validate: false } : {});
        noteAuditTarget(request, ['device', plan.device]);
        return planFor(request, plan);
      },
    });

    app.post('/api/batches', {
      config: { scope: 'config:edit', action: 'batch.apply' },
      schema: {
        tags: ['write-back'],
        summary: 'Apply a changes file (as JSON) as one atomic multi-file, multi-host batch',
        body: batchBody,
        response: { 200: applyResultSchema, ...guardedErrors, ...writebackErrors },
      },
      handler: async (request) => {
        if (request.body.dryRun) noteAuditPreview(request);
        noteAuditTarget(request, ...batchAuditPairs(request.body.changes));
        const result = await writeback.apply(changesFileOf(request.body), { actor: actorOf(request), dryRun: request.body.dryRun });
        noteAuditTarget(request, ['id', result.batchId]);
        return { ...result, files: result.files.map((f) => fileFor(request, f)) };
      },
    });
  };
