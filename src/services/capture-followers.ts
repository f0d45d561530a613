/**
 * What runs after every stored batch of captured versions, off the capture
 * path: analysis, validation on capture, automatic reconcile. None of it has
 * a caller to fail to, so each failure is reported (one log line, one
 * event) instead of dropped.
 */
import type { AuditRecorder } from '../auth/audit-recorder.js';
import { formatAuditTarget } from '../auth/audit-target.js';
import type { EventBus } from '../events/event-bus.js';
import { reportFailure } from '../events/failure.js';
import type { Logger } from '../logging.js';
import type { SnapshotRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { Reconciler } from '../writeback/reconcile.js';
import type { AnalysisService } from './analysis.service.js';
import type { ValidationService } from './validation.service.js';

export interface CaptureFollowersDeps {
  readonly store: Pick<SnapshotStore, 'listProfiles'>;
  readonly analysis: Pick<AnalysisService, 'enqueue'>;
  readonly validation: Pick<ValidationService, 'enqueueCaptured'>;
  readonly reconciler: Pick<Reconciler, 'reconcileIfNeeded'>;
  /** Each automatic write-back (or failed attempt) is audited like a user's restore. */
  readonly audit: Pick<AuditRecorder, 'record'>;
  readonly bus: EventBus;
  readonly log: Logger;
}

/** The audit actor of automatic reconciliation. */
export const AUTO_RECONCILE_ACTOR = 'confwatch:auto-reconcile';

/** The `afterStore` hook of monitoring: hands each stored batch to the followers; returns at once. */
export function followCaptures(deps: CaptureFollowersDeps): (records: SnapshotRecord[]) => void {
  return (records) => {
    deps.analysis.enqueue(records);
    void deps.validation.enqueueCaptured(records);
    void reconcileAutomatically(deps, records);
  };
}

/**
 * Profiles with `autoReconcile: restore` put drifted files back; only
 * devices that have such a profile pay for the check. A reconcile that
 * fails — even before its write-back starts — is reported per file.
 */
async function reconcileAutomatically(deps: CaptureFollowersDeps, records: readonly SnapshotRecord[]): Promise<void> {
  for (const device of new Set(records.map((r) => r.device))) {
    let profiles: Awaited<ReturnType<SnapshotStore['listProfiles']>>;
    try {
      profiles = await deps.store.listProfiles(device);
    } catch (error) {
      reportFailure(deps, 'reconcile.failed', device, { path: null, snapshotId: null }, error);
      continue;
    }
    if (!profiles.some((p) => p.autoReconcile === 'restore')) continue;
    for (const record of records) {
      if (record.device !== device) continue;
      const target = formatAuditTarget([
        ['device', record.device],
        ['path', record.path],
      ]);
      const entry = { actor: AUTO_RECONCILE_ACTOR, action: 'drift.reconcile', clientAddress: null };
      try {
        const result = await deps.reconciler.reconcileIfNeeded(record);
        if (result) await deps.audit.record({ ...entry, target: `${target} snapshot=${result.restoredFrom} batch=${result.batchId}`, result: 'ok', details: null });
      } catch (error) {
        reportFailure(deps, 'reconcile.failed', device, { path: record.path, snapshotId: record.id }, error);
        await deps.audit.record({ ...entry, target, result: 'error', details: { code: (error as { code?: string }).code ?? 'CW_ERR_INTERNAL' } }).catch(() => undefined);
      }
    }
  }
}
