/**
 * Restore one version of a file (`confwatch restore SNAPSHOT`): a batch of
 * one, so it gets the same checks (live hash against the latest snapshot,
 * watched globs, validation), the atomic rename with mode and owner kept,
 * the lock, the journal and the verification. Restoring a tombstone
 * deletes the file.
 */
import { ConfwatchError } from '../errors.js';
import { displayPath } from '../transport/remote-path.js';
import { type BatchResult, runBatch } from './batch.js';
import { type ReloadResult, runReload } from './reload.js';
import type { WritebackDeps } from './writeback-deps.js';

export interface RestoreRequest {
  readonly snapshotId: string;
  /** Write even when the live file changed since the latest snapshot or lies outside the watched globs. */
  readonly force?: boolean;
  /** Validate first and refuse on invalid. Default true. */
  readonly validate?: boolean;
  /** Run the profile's reload command afterwards. */
  readonly reload?: boolean;
  /** Show the diff and validation only. */
  readonly dryRun?: boolean;
  readonly actor: string;
  /** Operation name for events. Default `restore`. */
  readonly operation?: string;
}

export interface RestoreResult extends BatchResult {
  readonly device: string;
  readonly path: string;
  /** The version that was restored. */
  readonly restoredFrom: string;
  /** The reload's outcome when `reload` was asked (null: nothing to run). */
  readonly reload?: ReloadResult | null;
}

export async function restoreSnapshot(deps: WritebackDeps, request: RestoreRequest): Promise<RestoreResult> {
  const snapshot = await deps.store.getSnapshot(request.snapshotId);
  if (!snapshot) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown snapshot "${request.snapshotId}"; see \`confwatch history\``);
  const deleted = snapshot.changeType === 'deleted';
  if (!deleted && !snapshot.hasContent) {
    throw new ConfwatchError('CW_ERR_NOT_FOUND', `snapshot ${snapshot.id} of ${displayPath(snapshot.path)} has no stored content (the file was over its size limit)`);
  }
  const content = deleted ? null : await deps.store.readContent(snapshot);
  const change = {
    device: snapshot.device,
    path: snapshot.path,
    content,
    ...(snapshot.mode !== null ? { defaultMode: snapshot.mode } : {}),
    ...(snapshot.uid !== null ? { defaultUid: snapshot.uid } : {}),
    ...(snapshot.gid !== null ? { defaultGid: snapshot.gid } : {}),
  };
  const result = await runBatch(deps, [change], {
    operation: request.operation ?? 'restore',
    source: 'restore',
    actor: request.actor,
    ...(request.validate === false ? { validate: false } : {}),
    ...(request.dryRun ? { dryRun: true } : {}),
    ...(request.force ? { force: true } : {}),
  });
  const base = { ...result, device: snapshot.device, path: snapshot.path, restoredFrom: snapshot.id };
  if (!request.reload || request.dryRun) return base;
  return { ...base, reload: await reloadFor(deps, snapshot.device, snapshot.path, snapshot.configType) };
}

async function reloadFor(deps: WritebackDeps, deviceName: string, path: string, type: Parameters<typeof runReload>[1]['type']): Promise<ReloadResult | null> {
  const device = (await deps.store.getDevice(deviceName))!;
  const match = (await deps.watchSetOf(deviceName)).match(path);
  const transport = await deps.transportFor(device);
  try {
    return await runReload(transport, { type, path, command: match?.profile.reloadCommand ?? null, sudo: device.sudo });
  } finally {
    await transport.close();
  }
}
