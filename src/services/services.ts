/**
 * The composition root shared by the CLI and the server: opens the store
 * for the environment and wires the services over it. Nothing here has
 * logic of its own.
 */
import type { Environment } from '../config/environment.js';
import { openStore } from '../store/open-store.js';
import type { EventBus } from '../events/event-bus.js';
import { MemoryEventBus } from '../events/memory.bus.js';
import type { KyselyStore } from '../store/kysely.store.js';
import type { SnapshotRecord } from '../store/records.js';
import { DependencyEdgeStore } from '../store/dependency-edges.js';
import { AuditRecorder } from '../auth/audit-recorder.js';
import { formatAuditTarget } from '../auth/audit-target.js';
import { type AnalysisBudget, AnalysisPool } from '../compute/analysis-pool.js';
import { AnalysisService } from './analysis.service.js';
import { DiffService } from './diff.service.js';
import { type AuthService, createAuthService } from './auth.service.js';
import { DeviceService } from './device.service.js';
import { MonitoringService } from './monitoring.service.js';
import { ValidationService } from './validation.service.js';
import { WritebackService } from './writeback.service.js';
import { validateContent } from '../validate/validator.js';

export interface Services {
  readonly environment: Environment;
  /** The store (SnapshotStore) with its Kysely database, for repositories and key rotation. */
  readonly store: KyselyStore;
  readonly bus: EventBus;
  readonly devices: DeviceService;
  readonly monitoring: MonitoringService;
  readonly analysis: AnalysisService;
  /** Snapshot diffs, computed in the analysis pool. */
  readonly diffs: DiffService;
  readonly dependencies: DependencyEdgeStore;
  readonly auth: AuthService;
  readonly audit: AuditRecorder;
  readonly validation: ValidationService;
  readonly writeback: WritebackService;
  close(): Promise<void>;
}

export interface ServicesOptions {
  /** Time and memory one file's analysis (or diff) may take. Default 10 s and 512 MB. */
  readonly analysisBudget?: AnalysisBudget;
}

export async function openServices(environment: Environment, options: ServicesOptions = {}): Promise<Services> {
  const store = await openStore({ home: environment.home, databaseUrl: environment.databaseUrl, env: environment.env });
  const bus = new MemoryEventBus();
  const devices = new DeviceService(store);
  const dependencies = new DependencyEdgeStore(store.db);
  // workers start on the first task, so commands that analyse nothing never start one
  const pool = new AnalysisPool(options.analysisBudget ? { budget: options.analysisBudget } : {});
  const analysis = new AnalysisService(store, dependencies, { pool, bus });
  const audit = new AuditRecorder(store);
  const writeback = new WritebackService({
    store,
    bus,
    openTransport: (device) => devices.openTransport(device),
    validate: validateContent,
    audit,
  });
  const validation = new ValidationService(store, devices, bus);
  const afterStore = (records: SnapshotRecord[]) => {
    analysis.enqueue(records);
    void validation.enqueueCaptured(records).catch(() => undefined);
    void reconcileAutomatically(store, writeback, audit, records);
  };
  return {
    environment,
    store,
    bus,
    devices,
    monitoring: new MonitoringService(store, bus, devices, { afterStore }),
    analysis,
    diffs: new DiffService(store, pool),
    dependencies,
    auth: createAuthService(store.db, store),
    audit,
    validation,
    writeback,
    close: async () => {
      await analysis.idle();
      await validation.idle();
      await pool.close();
      await store.close();
    },
  };
}

/** The audit actor of automatic reconciliation. */
export const AUTO_RECONCILE_ACTOR = 'confwatch:auto-reconcile';

/**
 * Profiles with `autoReconcile: restore` put drifted files back; only
 * devices that have such a profile pay for the check. Each write-back (or
 * failed attempt) is audited like a user's restore.
 */
async function reconcileAutomatically(store: KyselyStore, writeback: WritebackService, audit: AuditRecorder, records: readonly SnapshotRecord[]): Promise<void> {
  for (const device of new Set(records.map((r) => r.device))) {
    const profiles = await store.listProfiles(device).catch(() => []);
    if (!profiles.some((p) => p.autoReconcile === 'restore')) continue;
    for (const record of records) {
      if (record.device !== device) continue;
      const target = formatAuditTarget([['device', record.device], ['path', record.path]]);
      const entry = { actor: AUTO_RECONCILE_ACTOR, action: 'drift.reconcile', clientAddress: null };
      await writeback.reconciler
        .reconcileIfNeeded(record)
        .then((result) =>
          result ? audit.record({ ...entry, target: `${target} snapshot=${result.restoredFrom} batch=${result.batchId}`, result: 'ok', details: null }) : undefined,
        )
        .catch((error: unknown) =>
          audit.record({ ...entry, target, result: 'error', details: { code: (error as { code?: string }).code ?? 'CW_ERR_INTERNAL' } }).catch(() => undefined),
        );
    }
  }
}
