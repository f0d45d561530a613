/**
 * The composition root shared by the CLI and the server: opens the store
 * for the environment and wires the services over it. Nothing here has
 * logic of its own.
 */

import { AuditRecorder } from '../auth/audit-recorder.js';
import { type AnalysisBudget, AnalysisPool } from '../compute/analysis-pool.js';
import type { Environment } from '../config/environment.js';
import { DeviceRegistry } from '../devices/device-registry.js';
import type { EventBus } from '../events/event-bus.js';
import { MemoryEventBus } from '../events/memory.bus.js';
import { createLogger } from '../logging.js';
import { AlertRepository } from '../store/alerts.repository.js';
import { ChangeRequestRepository } from '../store/change-requests.repository.js';
import { ComplianceRepository } from '../store/compliance.repository.js';
import { DependencyEdgeStore } from '../store/dependency-edges.js';
import type { KyselyStore } from '../store/kysely.store.js';
import { openStore } from '../store/open-store.js';
import { scoreExposure } from '../validate/exposure.js';
import { AlertService } from './alert.service.js';
import { AnalysisService } from './analysis.service.js';
import { type AuthService, createAuthService } from './auth.service.js';
import { type ChangeRequestView, ChangeRequestService } from './change-request.service.js';
import { ComplianceService } from './compliance.service.js';
import { DeviceService } from './device.service.js';
import { DiffService } from './diff.service.js';
import { MonitoringService } from './monitoring.service.js';
import { secretHidingValidator, ValidationService } from './validation.service.js';
import { followVersions } from './version-followers.js';
import { WritebackService } from './writeback.service.js';
import { TemplateRepository } from '../store/templates.repository.js';
import { proposeThrough, TemplateService } from './template.service.js';
import { ArchiveRepository } from '../store/archive.repository.js';
import { ArchiveService } from './archive.service.js';

export interface Services {
  readonly environment: Environment;
  /** The store (SnapshotStore) with its Kysely database, for repositories and key rotation. */
  readonly store: KyselyStore;
  readonly bus: EventBus;
  /** Devices at runtime: records, watch sets, shared connections, live state. */
  readonly registry: DeviceRegistry;
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
  readonly compliance: ComplianceService;
  /** Channels, rules, test messages and the delivery log; `serve` starts its engine. */
  readonly alerts: AlertService;
  /** Change requests: propose, review, apply through the batch engine (SPEC §11.2). */
  readonly changes: ChangeRequestService;
  /** Versioned templates, sandboxed rendering (in the analysis pool), and apply as a change request. */
  readonly templates: TemplateService;
  /** Export, import and the git mirror. */
  readonly archive: ArchiveService;
  /** Resolves once every version stored so far has been handed on, analysed and (when asked) validated. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface ServicesOptions {
  /** Time and memory one file's analysis (or diff) may take. Default 10 s and 512 MB. */
  readonly analysisBudget?: AnalysisBudget;
}

export async function openServices(environment: Environment, options: ServicesOptions = {}): Promise<Services> {
  const store = await openStore({ home: environment.home, databaseUrl: environment.databaseUrl, env: environment.env });
  const bus = new MemoryEventBus();
  const registry = new DeviceRegistry({ store, bus });
  const devices = new DeviceService(store, registry);
  const dependencies = new DependencyEdgeStore(store);
  // workers start on the first task, so commands that analyse nothing never start one
  const pool = new AnalysisPool(options.analysisBudget ? { budget: options.analysisBudget } : {});
  const compliance: ComplianceService = new ComplianceService({
    store,
    repo: new ComplianceRepository(store),
    pool,
    bus,
    measureExposure: (device, units) => registry.withTransport(device, (transport) => scoreExposure(transport, units)),
    // the change-request service is built below, over services this one feeds
    proposeChange: (actor, input): Promise<ChangeRequestView> => changes.propose(actor, input),
    log: createLogger('compliance'),
  });
  const templateRepository = new TemplateRepository(store);
  const analysis = new AnalysisService(store, dependencies, { pool, bus, log: createLogger('analysis'), compliance, renders: templateRepository });
  const audit = new AuditRecorder(store);
  const writeback = new WritebackService({
    store,
    bus,
    devices: registry,
    validate: secretHidingValidator(store),
    audit,
  });
  const validation = new ValidationService(store, registry, bus, createLogger('validation'));
  const diffs = new DiffService(store, pool);
  const alerts = new AlertService({ repository: new AlertRepository(store), store, diffs, analysis, bus, log: createLogger('alerts') });
  const auth = createAuthService(store.db, store);
  const changes = new ChangeRequestService({
    repository: new ChangeRequestRepository(store),
    store,
    writeback,
    analysis,
    bus,
    audit,
    users: auth,
  });
  const templates = new TemplateService({ repository: templateRepository, pool, propose: proposeThrough(changes) });
  const followers = followVersions({ store, analysis, validation, reconciler: writeback.reconciler, audit, bus, log: createLogger('version.followers') });
  return {
    environment,
    store,
    bus,
    registry,
    devices,
    monitoring: new MonitoringService(store, bus, registry),
    analysis,
    diffs,
    dependencies,
    auth,
    audit,
    validation,
    writeback,
    compliance,
    alerts,
    changes,
    templates,
    archive: new ArchiveService({ store, repository: new ArchiveRepository(store), batch: writeback, proposer: changes }),
    settled: async () => {
      await followers.idle();
      await analysis.idle();
      await validation.idle();
      await compliance.idle();
    },
    close: async () => {
      await followers.idle();
      followers.stop();
      await analysis.idle();
      await validation.idle();
      await compliance.idle();
      await pool.close();
      await registry.close();
      await store.close();
    },
  };
}


