/**
 * Write-back for the CLI and the API: restore, drift check and
 * resolution, rollback plans, changes-file batches, and the repair of
 * batches a crashed process left behind (run it at start).
 */
import type { DeviceRegistry } from '../devices/device-registry.js';
import { ConfwatchError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { KyselyStore } from '../store/kysely.store.js';
import { WritebackRepository } from '../store/writeback.repository.js';
import { type BatchChange, type BatchResult, runBatch } from '../writeback/batch.js';
import { type RecoveredBatch, recoverBatches } from '../writeback/batch-recovery.js';
import type { ChangesFile } from '../writeback/changes-file.js';
import { checkDrift, type DriftReport } from '../writeback/drift.js';
import { type DriftResolution, resolveDrift } from '../writeback/drift-resolution.js';
import { Reconciler } from '../writeback/reconcile.js';
import { defaultReloadCommand, type ReloadResult, runReload } from '../writeback/reload.js';
import { type RestoreRequest, type RestoreResult, restoreSnapshot } from '../writeback/restore.js';
import { applyPlan, getPlan, planRollback, type RollbackPlan, type RollbackTarget } from '../writeback/rollback-plan.js';
import type { Validate, WritebackDeps } from '../writeback/writeback-deps.js';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import type { SnapshotSource } from '../events/event-map.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import { liveHash, observeFiles, readLive, scopeFor } from '../writeback/live-state.js';
import { DEFAULT_MAX_BACKUP_BYTES } from '../writeback/writeback-deps.js';

export interface WritebackServiceDeps {
  readonly store: KyselyStore;
  readonly bus: EventBus;
  /** Shared transports and watch sets. */
  readonly devices: Pick<DeviceRegistry, 'acquire' | 'watchSet' | 'ownWrites'>;
  readonly validate: Validate;
  /** Audits what the service does on its own (batch recovery at start). */
  readonly audit?: AuditRecorder;
}

export interface ApplyResult extends BatchResult {
  /** Reload outcomes per device and command, when the changes file asked for them. */
  readonly reloads: { device: string; result: ReloadResult }[];
}

export class WritebackService {
  readonly #deps: WritebackDeps;
  readonly #audit: AuditRecorder | undefined;
  /** Auto-reconcile hook for the capture pipeline (`reconcileIfNeeded(snapshot)`). */
  readonly reconciler: Reconciler;

  constructor(deps: WritebackServiceDeps) {
    this.#deps = {
      store: deps.store,
      repo: new WritebackRepository(deps.store),
      bus: deps.bus,
      transportFor: (device) => deps.devices.acquire(device.name),
      watchSetOf: (device) => deps.devices.watchSet(device),
      ownWrites: deps.devices.ownWrites,
      validate: deps.validate,
    };
    this.reconciler = new Reconciler(this.#deps);
    this.#audit = deps.audit;
  }

  /** Repairs batches left by a crashed process; call once at start. Each repair is audited. */
  async recoverBatches(): Promise<RecoveredBatch[]> {
    const recovered = await recoverBatches(this.#deps);
    for (const batch of recovered.filter((b) => b.outcome !== 'pending')) {
      await this.#audit?.record({ actor: 'confwatch:recovery', action: 'batch.recover', target: `id=${batch.batchId}`, clientAddress: null, result: 'ok', details: { outcome: batch.outcome } });
    }
    return recovered;
  }

  restore(request: RestoreRequest): Promise<RestoreResult> {
    return restoreSnapshot(this.#deps, request);
  }

  checkDrift(device?: string): Promise<DriftReport> {
    return checkDrift(this.#deps, device);
  }

  resolveDrift(request: Parameters<typeof resolveDrift>[1]): Promise<DriftResolution> {
    return resolveDrift(this.#deps, request);
  }

  planRollback(device: string, target: RollbackTarget): Promise<RollbackPlan> {
    return planRollback(this.#deps, device, target);
  }

  getPlan(id: string): Promise<RollbackPlan> {
    return getPlan(this.#deps, id);
  }

  /** Applies a plan; `validate: false` skips validation, as `restore --no-validate` does. */
  applyPlan(id: string, actor: string, options: { validate?: boolean } = {}): Promise<RollbackPlan> {
    return applyPlan(this.#deps, id, actor, options);
  }

  /** Runs a changes file as one atomic batch (`dryRun`: diffs and validation only). */
  async apply(file: ChangesFile, options: { actor: string; dryRun?: boolean }): Promise<ApplyResult> {
    const changes: BatchChange[] = [];
    for (const entry of file.changes) {
      const content = await this.#contentOf(entry.source, entry.line);
      changes.push({
        device: entry.device,
        path: entry.path,
        content,
        ...(entry.expectHash !== undefined ? { expectHash: entry.expectHash } : {}),
        ...(entry.mode !== undefined ? { mode: entry.mode } : {}),
      });
    }
    const result = await runBatch(this.#deps, changes, {
      operation: 'batch',
      source: 'batch',
      actor: options.actor,
      validate: file.validate,
      ...(options.dryRun ? { dryRun: true } : {}),
    });
    const reloads = file.reload && !options.dryRun ? await this.#reload(result) : [];
    return { ...result, reloads };
  }

  /**
   * Runs changes already resolved to bytes as one atomic batch, through the
   * same engine as `apply` (change requests: their stored candidates, each
   * with the live hash it was approved against as `expectHash`).
   */
  async applyChanges(
    changes: readonly BatchChange[],
    options: { actor: string; operation: string; source: SnapshotSource; validate?: boolean; dryRun?: boolean; reload?: boolean; changeRequestId?: string },
  ): Promise<ApplyResult> {
    const result = await runBatch(this.#deps, changes, {
      operation: options.operation,
      source: options.source,
      actor: options.actor,
      ...(options.validate === false ? { validate: false } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
      ...(options.changeRequestId ? { changeRequestId: options.changeRequestId } : {}),
    });
    const reloads = options.reload && !options.dryRun ? await this.#reload(result) : [];
    return { ...result, reloads };
  }

  /** The live state of one file: its hash (null when absent) and, for a regular file, its bytes. */
  async readLive(device: string, path: RemotePath): Promise<{ hash: string | null; content: Buffer | null }> {
    const record = await this.#deps.store.getDevice(device);
    if (!record) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${device}"; see \`confwatch device list\``);
    const transport = await this.#deps.transportFor(record);
    try {
      const scope = await scopeFor(this.#deps, device);
      const [live] = await observeFiles(transport, [path], { sudo: record.sudo, scope });
      if (live!.kind === 'unreadable') throw new ConfwatchError('CW_ERR_FILE_PERMISSION', `${displayPath(path)} cannot be read on ${device}`);
      if (live!.kind === 'missing') return { hash: null, content: null };
      if (live!.link !== undefined) return { hash: live!.hash, content: null };
      const content = await readLive(transport, path, this.#deps.maxBackupBytes ?? DEFAULT_MAX_BACKUP_BYTES, { sudo: record.sudo, scope });
      return { hash: liveHash(live!), content };
    } finally {
      await transport.close();
    }
  }

  async #contentOf(source: ChangesFile['changes'][number]['source'], line: number): Promise<Buffer | null> {
    if (source.kind === 'content') return source.content;
    if (source.kind === 'delete') return null;
    const snapshot = await this.#deps.store.getSnapshot(source.snapshotId);
    if (!snapshot) throw new ConfwatchError('CW_ERR_INPUT', `line ${line}: unknown snapshot "${source.snapshotId}"`);
    return snapshot.changeType === 'deleted' ? null : this.#deps.store.readContent(snapshot);
  }

  /** One reload per device and distinct command, for the files that changed. */
  async #reload(result: BatchResult): Promise<{ device: string; result: ReloadResult }[]> {
    const out: { device: string; result: ReloadResult }[] = [];
    const done = new Set<string>();
    for (const file of result.files.filter((f) => f.action !== 'unchanged')) {
      const device = (await this.#deps.store.getDevice(file.device))!;
      const profile = (await this.#deps.watchSetOf(device.name)).match(file.path)?.profile;
      const tracked = await this.#deps.store.getTrackedFile(device.name, file.path);
      const type = tracked?.configType ?? 'generic';
      const template = profile?.reloadCommand ?? defaultReloadCommand(type);
      // A command without placeholders (nginx -s reload) runs once per device.
      const key = `${device.name}\0${template}\0${template?.includes('{') ? file.path : ''}`;
      if (!template || done.has(key)) continue;
      done.add(key);
      const transport = await this.#deps.transportFor(device);
      try {
        const reload = await runReload(transport, { type, path: file.path, command: template, sudo: device.sudo });
        if (reload) out.push({ device: device.name, result: reload });
      } finally {
        await transport.close();
      }
    }
    return out;
  }
}
