/**
 * What follows every stored version, whoever stored it — capture, or a
 * write-back recording its own — off the path that stored it: analysis
 * (parse, impact, dependency graph) for every version; validation on
 * capture and automatic reconcile for captured ones (a write-back validated
 * its version before writing it and is the reconcile). The followers
 * subscribe to `config.changed`, so no stage is wired to another by a
 * callback. None of it has a caller to fail to, so each failure is
 * reported (one log line, one event) instead of dropped.
 */
import type { AuditRecorder } from '../auth/audit-recorder.js';
import { formatAuditTarget } from '../auth/audit-target.js';
import type { EventBus } from '../events/event-bus.js';
import type { ConfwatchEvent } from '../events/event-map.js';
import { reportFailure } from '../events/failure.js';
import type { Logger } from '../logging.js';
import type { SnapshotRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { type Reconciler, WRITEBACK_SOURCES } from '../writeback/reconcile.js';
import type { AnalysisService } from './analysis.service.js';
import type { ValidationService } from './validation.service.js';

export interface VersionFollowersDeps {
  readonly store: Pick<SnapshotStore, 'getSnapshot' | 'listProfiles'>;
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

export interface VersionFollowers {
  /** Resolves once every version announced so far has been handed to its followers. */
  idle(): Promise<void>;
  /** Stops following the bus. */
  stop(): void;
}

/**
 * Follows `config.changed` on the bus. The versions announced within one
 * turn of the event loop (a stored batch publishes its events together)
 * are looked up and handed over as one batch.
 */
export function followVersions(deps: VersionFollowersDeps): VersionFollowers {
  let gathering: Extract<ConfwatchEvent, { type: 'config.changed' }>[] | undefined;
  const inFlight = new Set<Promise<unknown>>();
  const unsubscribe = deps.bus.subscribe((event) => {
    if (event.type !== 'config.changed') return;
    if (!gathering) {
      const events: Extract<ConfwatchEvent, { type: 'config.changed' }>[] = [];
      gathering = events;
      const records = new Promise<SnapshotRecord[]>((resolve) =>
        setImmediate(() => {
          gathering = undefined;
          resolve(lookUp(deps, events));
        }),
      );
      // handed to analysis at once, so that its idle() covers versions still being looked up
      deps.analysis.enqueue(records);
      const following = records.then((found) => followCaptured(deps, found));
      inFlight.add(following);
      void following.finally(() => inFlight.delete(following));
    }
    gathering.push(event);
  });
  return {
    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    stop: unsubscribe,
  };
}

/** The stored records of the announced versions; one that cannot be read is reported and left out. */
async function lookUp(deps: VersionFollowersDeps, events: readonly Extract<ConfwatchEvent, { type: 'config.changed' }>[]): Promise<SnapshotRecord[]> {
  const records: SnapshotRecord[] = [];
  for (const event of events) {
    try {
      const record = await deps.store.getSnapshot(event.snapshotId);
      if (record) records.push(record);
    } catch (error) {
      reportFailure(deps, 'analysis.failed', event.device, { path: event.path, snapshotId: event.snapshotId, stage: 'analyze' }, error);
    }
  }
  return records;
}

/** Validation on capture and automatic reconcile, for captured versions only. */
function followCaptured(deps: VersionFollowersDeps, records: readonly SnapshotRecord[]): void {
  const captured = records.filter((r) => !WRITEBACK_SOURCES.has(r.source));
  if (captured.length === 0) return;
  void deps.validation.enqueueCaptured(captured);
  void reconcileAutomatically(deps, captured);
}

/**
 * Profiles with `autoReconcile: restore` put drifted files back; only
 * devices that have such a profile pay for the check. A reconcile that
 * fails — even before its write-back starts — is reported per file.
 */
async function reconcileAutomatically(deps: VersionFollowersDeps, records: readonly SnapshotRecord[]): Promise<void> {
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
