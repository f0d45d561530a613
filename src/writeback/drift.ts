/**
 * Drift: the live file differs from its baseline (the last accepted
 * version: first capture, restore, applied batch or explicit accept)
 * through a change confwatch did not make. One script per chunk of files
 * (live-state.ts) hashes and stats every tracked file, links recorded as
 * links as capture records them; findings are data, not errors.
 */
import { toConfwatchError } from '../errors.js';
import type { DeviceRecord, SnapshotRecord, SyncStatus, TrackedFileRecord } from '../store/records.js';
import type { RemotePath } from '../transport/remote-path.js';
import { type LiveFile, liveHash, observeFiles, scopeFor } from './live-state.js';
import type { WritebackDeps } from './writeback-deps.js';

export type DriftStatus = 'drifted' | 'missing' | 'unreachable' | 'unreadable';

export interface DriftFinding {
  readonly device: string;
  readonly path: RemotePath;
  readonly status: DriftStatus;
  readonly baselineSnapshotId: string | null;
  readonly baselineHash: string | null;
  readonly liveHash: string | null;
  /** Why the host could not be checked (unreachable only). */
  readonly error?: string;
}

export interface DriftReport {
  readonly checkedAt: string;
  /** Tracked files looked at. */
  readonly checked: number;
  /** Files not in sync with their baseline. */
  readonly findings: DriftFinding[];
}

/** The hash a baseline stands for: null for a tombstone (the file should not exist). */
export const baselineHashOf = (baseline: SnapshotRecord | undefined): string | null =>
  baseline && baseline.changeType !== 'deleted' ? baseline.contentHash : null;

/** Checks every tracked file of one device (or all devices), updates their sync status, emits `config.drift.detected`. */
export async function checkDrift(deps: WritebackDeps, deviceName?: string): Promise<DriftReport> {
  const checkedAt = new Date().toISOString();
  const devices = deviceName ? [await deps.store.getDevice(deviceName)].filter((d): d is DeviceRecord => d !== undefined) : await deps.store.listDevices();
  const findings: DriftFinding[] = [];
  let checked = 0;
  for (const device of devices) {
    const tracked = await deps.store.listTrackedFiles(device.name);
    checked += tracked.length;
    findings.push(...(await checkDevice(deps, device, tracked, checkedAt)));
  }
  return { checkedAt, checked, findings };
}

async function checkDevice(deps: WritebackDeps, device: DeviceRecord, tracked: readonly TrackedFileRecord[], checkedAt: string): Promise<DriftFinding[]> {
  if (tracked.length === 0) return [];
  const baselines = await Promise.all(tracked.map((t) => (t.baselineSnapshotId ? deps.store.getSnapshot(t.baselineSnapshotId) : undefined)));
  let lives: LiveFile[] | null = null;
  let error: string | undefined;
  try {
    const transport = await deps.transportFor(device);
    try {
      lives = await observeFiles(transport, tracked.map((t) => t.path), { sudo: device.sudo, scope: await scopeFor(deps, device.name) });
    } finally {
      await transport.close();
    }
  } catch (e) {
    error = toConfwatchError(e, 'CW_ERR_SSH_CONNECT').message;
  }
  const findings: DriftFinding[] = [];
  for (const [i, file] of tracked.entries()) {
    const baselineHash = baselineHashOf(baselines[i]);
    const live = lives?.[i];
    const status = classify(live, baselineHash);
    const current = live ? liveHash(live) : null;
    const syncStatus: SyncStatus = status === null ? 'synced' : status === 'unreachable' ? 'error' : status;
    await deps.store.updateTrackedFile(device.name, file.path, {
      syncStatus,
      lastCheckedAt: checkedAt,
      lastError: status === 'unreachable' ? `drift check: ${error}` : status === 'unreadable' ? 'drift check: file cannot be read' : null,
    });
    if (status === null) continue;
    const finding: DriftFinding = {
      device: device.name,
      path: file.path,
      status,
      baselineSnapshotId: file.baselineSnapshotId,
      baselineHash,
      liveHash: current,
      ...(error ? { error } : {}),
    };
    findings.push(finding);
    if (status !== 'unreadable' && file.syncStatus !== syncStatus) {
      deps.bus.publish('config.drift.detected', device.name, { path: file.path, status, baselineHash, liveHash: current });
    }
  }
  return findings;
}

function classify(live: LiveFile | undefined, baselineHash: string | null): DriftStatus | null {
  if (!live) return 'unreachable';
  if (live.kind === 'unreadable') return 'unreadable';
  if (live.kind === 'missing') return baselineHash === null ? null : 'missing';
  return live.hash === baselineHash ? null : 'drifted';
}
