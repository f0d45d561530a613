/**
 * A real API over a real store: a temp confwatch home with a master key,
 * SQLite with every migration, the in-process bus, and one API token per
 * role. `close()` removes everything.
 */
import { DeviceRegistry } from '../../src/devices/device-registry.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { type AppOptions, buildApp } from '../../src/api/app.js';
import { AuditRecorder } from '../../src/auth/audit-recorder.js';
import { FailureRateLimiter } from '../../src/auth/rate-limiter.js';
import type { Role } from '../../src/auth/scopes.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import { type AuthService, createAuthService } from '../../src/services/auth.service.js';
import { DeviceService } from '../../src/services/device.service.js';
import { featureRoutes } from '../../src/api/server.js';
import { secretHidingValidator, ValidationService } from '../../src/services/validation.service.js';
import { ComplianceService } from '../../src/services/compliance.service.js';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { ComplianceRepository } from '../../src/store/compliance.repository.js';
import { WritebackService } from '../../src/services/writeback.service.js';
import { ArchiveService } from '../../src/services/archive.service.js';
import { ArchiveRepository } from '../../src/store/archive.repository.js';
import { AlertService } from '../../src/services/alert.service.js';
import { DiffService } from '../../src/services/diff.service.js';
import { AlertRepository } from '../../src/store/alerts.repository.js';
import { AnalysisService } from '../../src/services/analysis.service.js';
import { ChangeRequestService } from '../../src/services/change-request.service.js';
import { ChangeRequestRepository } from '../../src/store/change-requests.repository.js';
import { TemplateRepository } from '../../src/store/templates.repository.js';
import { proposeThrough, TemplateService } from '../../src/services/template.service.js';
import { createLogger } from '../../src/logging.js';
import { DependencyEdgeStore } from '../../src/store/dependency-edges.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import { openStore } from '../../src/store/open-store.js';

export interface ApiFixture {
  readonly app: FastifyInstance;
  readonly store: KyselyStore;
  readonly bus: MemoryEventBus;
  readonly auth: AuthService;
  /** A bearer token per role (users `viewer`, `operator`, `approver`, `admin`). */
  readonly tokens: Readonly<Record<Role, string>>;
  /** `{authorization: 'Bearer …'}` for the role. */
  as(role: Role): { authorization: string };
  close(): Promise<void>;
}

/** What feature routes are built from: the fixture's own store, bus and devices. */
export interface FixtureParts {
  readonly store: KyselyStore;
  readonly bus: MemoryEventBus;
  readonly devices: DeviceService;
  readonly registry: DeviceRegistry;
  readonly auth: AuthService;
}

/** The product's feature routes (write-back, validation, dependency graph, compliance, alerts, change requests, templates) over the fixture's parts, as `serve` wires them; the pool starts a worker only when a compliance run asks. */
export const productFeatures = ({ store, bus, registry, auth }: FixtureParts): FastifyPluginAsync[] => {
  const pool = new AnalysisPool({ size: 1 });
  const dependencies = new DependencyEdgeStore(store);
  const compliance = new ComplianceService({ store, repo: new ComplianceRepository(store), pool, bus });
  const writeback = new WritebackService({ store, bus, devices: registry, validate: secretHidingValidator(store) });
  const analysis = new AnalysisService(store, dependencies, { pool, bus, log: createLogger('analysis'), compliance });
  const changes = new ChangeRequestService({ repository: new ChangeRequestRepository(store), store, writeback, analysis, bus, audit: new AuditRecorder(store), users: auth });
  return featureRoutes({
    store,
    writeback,
    archive: new ArchiveService({ store, repository: new ArchiveRepository(store), batch: writeback, proposer: changes }),
    audit: new AuditRecorder(store),
    validation: new ValidationService(store, registry, bus),
    dependencies,
    compliance,
    changes,
    alerts: new AlertService({
      repository: new AlertRepository(store),
      store,
      diffs: new DiffService(store),
      analysis: { analysed: async () => undefined },
      bus,
      log: createLogger('alerts'),
    }),
    templates: new TemplateService({ repository: new TemplateRepository(store), pool, propose: proposeThrough(changes) }),
  });
};

export async function openApiFixture(
  options: AppOptions = {},
  features: readonly FastifyPluginAsync[] | ((parts: FixtureParts) => readonly FastifyPluginAsync[]) = [],
): Promise<ApiFixture> {
  const home = mkdtempSync(join(tmpdir(), 'cw-api-'));
  createMasterKeyFile(home);
  const store = await openStore({ home, env: {} });
  const bus = new MemoryEventBus();
  const audit = new AuditRecorder(store);
  const auth = createAuthService(store.db, store, { loginLimiter: new FailureRateLimiter({ maxFailures: 5 }) });
  const tokens = {} as Record<Role, string>;
  for (const role of ['viewer', 'operator', 'approver', 'admin'] as const) {
    await auth.addUser(role, role, `${role}-password`);
    tokens[role] = (await auth.createToken(role)).token;
  }
  const registry = new DeviceRegistry({ store, bus });
  const devices = new DeviceService(store, registry);
  const routes = typeof features === 'function' ? features({ store, bus, devices, registry, auth }) : features;
  const app = await buildApp({ store, bus, devices, auth, audit, features: routes }, options).catch(async (error) => {
    await store.close();
    rmSync(home, { recursive: true, force: true });
    throw error;
  });
  return {
    app,
    store,
    bus,
    auth,
    tokens,
    as: (role) => ({ authorization: `Bearer ${tokens[role]}` }),
    async close() {
      await app.close();
      await registry.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Adds a local device (no SSH needed) with one generic profile. */
export async function addLocalDevice(store: KyselyStore, name: string): Promise<void> {
  await store.addDevice(
    { name, transport: 'local', host: 'localhost', port: 22, user: 'root', identityFile: null, hostKey: null, mode: 'polling', pollIntervalSec: null, sudo: false, jump: null, tags: [] },
    [
      {
        device: name,
        name: 'custom',
        configType: 'generic',
        paths: ['/etc/app/*'],
        exclude: [],
        pollIntervalSec: 30,
        maxFileBytes: 1024 * 1024,
        validateCommand: null,
        reloadCommand: null,
        validateOnCapture: false,
        autoReconcile: 'off',
      },
    ],
  );
}

/** Stores successive versions of one file; returns their snapshot ids, oldest first. */
export async function recordVersions(store: KyselyStore, device: string, path: string, contents: readonly (string | Buffer)[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [i, content] of contents.entries()) {
    const [snapshot] = await store.recordSnapshots([
      {
        device,
        path,
        configType: 'generic',
        profile: 'custom',
        changeType: i === 0 ? 'initial' : 'modified',
        source: 'poll',
        content: Buffer.isBuffer(content) ? content : Buffer.from(content),
        detectedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      },
    ]);
    ids.push((snapshot as { id: string }).id);
  }
  return ids;
}
