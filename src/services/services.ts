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
import { DependencyEdgeStore } from '../store/dependency-edges.js';
import { AuditRecorder } from '../auth/audit-recorder.js';
import { AnalysisService } from './analysis.service.js';
import { type AuthService, createAuthService } from './auth.service.js';
import { DeviceService } from './device.service.js';
import { MonitoringService } from './monitoring.service.js';
import { ValidationService } from './validation.service.js';

export interface Services {
  readonly environment: Environment;
  /** The store (SnapshotStore) with its Kysely database, for repositories and key rotation. */
  readonly store: KyselyStore;
  readonly bus: EventBus;
  readonly devices: DeviceService;
  readonly monitoring: MonitoringService;
  readonly analysis: AnalysisService;
  readonly dependencies: DependencyEdgeStore;
  readonly auth: AuthService;
  readonly audit: AuditRecorder;
  readonly validation: ValidationService;
  close(): Promise<void>;
}

export async function openServices(environment: Environment): Promise<Services> {
  const store = await openStore({ home: environment.home, databaseUrl: environment.databaseUrl, env: environment.env });
  const bus = new MemoryEventBus();
  const devices = new DeviceService(store);
  const dependencies = new DependencyEdgeStore(store.db);
  const analysis = new AnalysisService(store, dependencies);
  const audit = new AuditRecorder(store);
  return {
    environment,
    store,
    bus,
    devices,
    monitoring: new MonitoringService(store, bus, devices, { afterStore: (records) => analysis.enqueue(records) }),
    analysis,
    dependencies,
    auth: createAuthService(store.db, store),
    audit,
    validation: new ValidationService(store, devices, bus),
    close: async () => {
      await analysis.idle();
      await store.close();
    },
  };
}
