/**
 * Ending drift: `--restore` writes the baseline back (forced past the
 * drift itself), `--accept` makes the live version the new baseline
 * (capturing it first when confwatch has not stored it yet). Both emit
 * `config.drift.resolved`.
 */
import { announceVersion } from '../detect/capture.js';
import { ConfwatchError } from '../errors.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import { liveHash, observeFiles, readLive, scopeFor } from './live-state.js';
import { restoreSnapshot } from './restore.js';
import { DEFAULT_MAX_BACKUP_BYTES, type WritebackDeps } from './writeback-deps.js';

export interface DriftResolution {
  readonly device: string;
  readonly path: RemotePath;
  readonly resolution: 'restore' | 'accept';
  /** The snapshot that is now the baseline. */
  readonly snapshotId: string;
}

export async function resolveDrift(
  deps: WritebackDeps,
  request: { device: string; path: RemotePath; resolution: 'restore' | 'accept'; actor: string; validate?: boolean },
): Promise<DriftResolution> {
  const tracked = await deps.store.getTrackedFile(request.device, request.path);
  if (!tracked) throw new ConfwatchError('CW_ERR_NOT_FOUND', `${displayPath(request.path)} is not tracked on ${request.device}; see \`confwatch files --device ${request.device}\``);
  const snapshotId =
    request.resolution === 'restore' ? await restoreBaseline(deps, tracked.baselineSnapshotId, request.actor, request.validate !== false) : await acceptLive(deps, request);
  deps.bus.publish('config.drift.resolved', request.device, { path: request.path, resolution: request.resolution, snapshotId });
  return { device: request.device, path: request.path, resolution: request.resolution, snapshotId };
}

async function restoreBaseline(deps: WritebackDeps, baselineId: string | null, actor: string, validate: boolean): Promise<string> {
  if (!baselineId) throw new ConfwatchError('CW_ERR_NOT_FOUND', 'this file has no baseline to restore');
  const result = await restoreSnapshot(deps, { snapshotId: baselineId, actor, force: true, operation: 'drift-restore', ...(validate ? {} : { validate: false }) });
  return result.files[0]?.snapshotId ?? baselineId;
}

async function acceptLive(deps: WritebackDeps, request: { device: string; path: RemotePath; actor: string }): Promise<string> {
  const device = (await deps.store.getDevice(request.device))!;
  const tracked = (await deps.store.getTrackedFile(request.device, request.path))!;
  const transport = await deps.transportFor(device);
  try {
    const scope = await scopeFor(deps, request.device);
    const [live] = await observeFiles(transport, [request.path], { sudo: device.sudo, scope });
    if (live!.kind === 'unreadable') throw new ConfwatchError('CW_ERR_FILE_PERMISSION', `${displayPath(request.path)} cannot be read on ${request.device}`);
    const latest = await deps.store.latestSnapshot(request.device, request.path);
    const latestHash = latest && latest.changeType !== 'deleted' ? latest.contentHash : null;
    if (latest && latestHash === liveHash(live!)) {
      await deps.store.updateTrackedFile(request.device, request.path, { baselineSnapshotId: latest.id, syncStatus: latestHash === null ? 'missing' : 'synced', lastError: null });
      return latest.id;
    }
    const detectedAt = new Date().toISOString();
    const base = { device: request.device, path: request.path, configType: tracked.configType, profile: tracked.profile, source: 'rescan' as const, actor: request.actor, detectedAt, setBaseline: true };
    // a link is accepted as the link it is (as capture records it), never read through to an unwatched target
    const recorded =
      live!.kind === 'missing'
        ? { ...base, changeType: 'deleted' as const }
        : {
            ...base,
            mode: live!.stat.mode,
            uid: live!.stat.uid,
            gid: live!.stat.gid,
            mtimeMs: live!.stat.mtimeMs,
            ino: live!.stat.ino,
            ...(live!.link !== undefined
              ? { changeType: tracked.deleted ? ('created' as const) : ('metadata' as const), contentHash: live!.hash }
              : {
                  changeType: tracked.deleted ? ('created' as const) : ('modified' as const),
                  content: await readLive(transport, request.path, deps.maxBackupBytes ?? DEFAULT_MAX_BACKUP_BYTES, { sudo: device.sudo, scope }),
                }),
          };
    const [stored] = await deps.store.recordSnapshots([recorded]);
    announceVersion(deps.bus, stored!);
    return stored!.id;
  } finally {
    await transport.close();
  }
}
