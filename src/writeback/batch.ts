/**
 * Atomic multi-file, multi-host write-back: prepare → commit → verify →
 * undo. Every write-back (restore, drift restore, rollback plan, changes
 * file) runs through here.
 *
 * - prepare: live hashes in one round trip per host; expectHash and "no
 *   change since the latest snapshot" checks; validation; every new content
 *   uploaded to a temp file beside its target and hash-checked; the journal
 *   written; the current contents are the backups (they are snapshots).
 * - commit: per device one script re-checks every live hash and renames all
 *   temp files into place; device by device, undoing committed devices from
 *   the backups when a later one fails.
 * - verify: live hashes re-read; any mismatch undoes the whole batch.
 * Temp files are removed in `finally` whatever happened.
 */
import { transportPool } from './transport-pool.js';
import { ConfwatchError, toConfwatchError } from '../errors.js';
import type { SnapshotSource } from '../events/event-map.js';
import type { DeviceRecord, ValidationResult } from '../store/records.js';
import { newId } from '../store/ids.js';
import { sha256Hex } from '../detect/hash.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import type { Transport } from '../transport/transport.js';
import { compileWatchSet } from '../watch/watch-set.js';
import { type JournalEntry, Journal } from './journal.js';
import { type LiveFile, liveHash, observeFiles } from './live-state.js';
import { recordOutcome } from './outcome.js';
import { commitDevice, removeTemps, tempPathFor, uploadTemp } from './remote-scripts.js';
import { undoEntries } from './undo.js';
import { unifiedDiff } from './unified-diff.js';
import { withWriteLock } from './write-lock.js';
import type { WritebackDeps } from './writeback-deps.js';

/** Test hook: after this many renames of the first device, the process kills itself (crash mid-commit). */
export const CRASH_HOOK_ENV = 'CONFWATCH_TEST_CRASH_AFTER_RENAMES';

/** One file a batch changes. */
export interface BatchChange {
  readonly device: string;
  readonly path: RemotePath;
  /** New content; null deletes the file. */
  readonly content: Buffer | null;
  /** The live file must have this hash (null: must not exist); undefined = no expectation. */
  readonly expectHash?: string | null;
  /** Permission bits of the new file; default the live file's, else the backup snapshot's, else 0644. */
  readonly mode?: number;
  /** Permission bits when the file does not exist now (a recreated file); ignored otherwise. */
  readonly defaultMode?: number;
}

export interface BatchOptions {
  /** Names the operation in events and the journal (`restore`, `batch`, `rollback`, `reconcile`). */
  readonly operation: string;
  readonly source: SnapshotSource;
  readonly actor: string;
  /** Validate candidates first and refuse on `invalid`. Default true. */
  readonly validate?: boolean;
  /** Show diffs and validation, change nothing. */
  readonly dryRun?: boolean;
  /** Skip the "changed since the latest snapshot" and watched-globs checks. */
  readonly force?: boolean;
}

export interface BatchFileResult {
  readonly device: string;
  readonly path: RemotePath;
  readonly action: 'write' | 'delete' | 'unchanged';
  readonly fromHash: string | null;
  readonly toHash: string | null;
  readonly validation: ValidationResult | null;
  readonly diff: string;
  /** The snapshot stored for the new state (not for dry runs or unchanged files). */
  readonly snapshotId?: string;
}

export interface BatchResult {
  readonly batchId: string;
  readonly status: 'applied' | 'dry-run';
  readonly files: BatchFileResult[];
}

interface Prepared {
  readonly change: BatchChange;
  readonly device: DeviceRecord;
  readonly live: LiveFile;
  readonly liveContent: Buffer | null;
  readonly backupSnapshotId: string | null;
  readonly configType: JournalEntry['configType'];
  readonly profile: string;
  readonly validateCommand: string | null;
  readonly result: Omit<BatchFileResult, 'snapshotId'>;
}

/** Runs a batch; rejects CW_ERR_WRITEBACK_CONFLICT / _INVALID / _OUTSIDE_PROFILE (nothing written) or _FAILED (rolled back). */
export async function runBatch(deps: WritebackDeps, changes: readonly BatchChange[], options: BatchOptions): Promise<BatchResult> {
  assertDistinct(changes);
  const batchId = newId();
  const pool = transportPool((device) => deps.transportFor(device));
  const { transportOf } = pool;
  try {
    if (options.dryRun) return { batchId, status: 'dry-run', files: (await inspect(deps, changes, options, transportOf)).map((p) => p.result) };
    // The lock covers the checks too: what was checked is what gets replaced.
    const keys = changes.map((c) => ({ device: c.device, path: c.path }));
    return await withWriteLock(deps, keys, batchId, async () => {
      const prepared = await inspect(deps, changes, options, transportOf);
      const files = prepared.map((p) => p.result);
      const invalid = files.filter((f) => f.validation?.status === 'invalid');
      if (invalid.length > 0) {
        const error = new ConfwatchError(
          'CW_ERR_WRITEBACK_INVALID',
          `validation refused ${invalid.map((f) => `${f.device}:${displayPath(f.path)}`).join(', ')}; nothing was written: ${invalid[0]!.validation!.output.split('\n')[0]}`,
          { details: { files } },
        );
        await markFailed(deps, options, prepared, error, true);
        throw error;
      }
      const snapshotIds = await apply(deps, batchId, prepared.filter((p) => p.result.action !== 'unchanged'), options, transportOf);
      return {
        batchId,
        status: 'applied' as const,
        files: prepared.map((p) => {
          const snapshotId = snapshotIds.get(keyOf(p.device.name, p.change.path));
          return snapshotId ? { ...p.result, snapshotId } : p.result;
        }),
      };
    });
  } finally {
    await pool.closeAll();
  }
}

const keyOf = (device: string, path: RemotePath): string => `${device}\0${path}`;

function assertDistinct(changes: readonly BatchChange[]): void {
  const seen = new Set<string>();
  for (const c of changes) {
    const key = keyOf(c.device, c.path);
    if (seen.has(key)) throw new ConfwatchError('CW_ERR_INPUT', `${c.device}:${displayPath(c.path)} appears twice in one batch`);
    seen.add(key);
  }
}

/** Prepare's read-only half: lookups, live state, checks, validation, diffs. */
async function inspect(
  deps: WritebackDeps,
  changes: readonly BatchChange[],
  options: BatchOptions,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<Prepared[]> {
  const byDevice = new Map<string, BatchChange[]>();
  for (const c of changes) byDevice.set(c.device, [...(byDevice.get(c.device) ?? []), c]);
  const out: Prepared[] = [];
  for (const [name, list] of byDevice) {
    const device = await deps.store.getDevice(name);
    if (!device) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${name}"; see \`confwatch device list\``);
    const watchSet = compileWatchSet(await deps.store.listProfiles(name));
    for (const c of list) {
      if (!options.force && !watchSet.match(c.path)) {
        throw new ConfwatchError('CW_ERR_WRITEBACK_OUTSIDE_PROFILE', `${displayPath(c.path)} is outside the watched globs of ${name}; use --force to write it anyway`, {
          details: { device: name, path: c.path },
        });
      }
    }
    const transport = await transportOf(device);
    const lives = await observeFiles(transport, list.map((c) => c.path), { sudo: device.sudo });
    for (const [i, c] of list.entries()) {
      const live = lives[i]!;
      if (live.kind === 'unreadable') {
        throw new ConfwatchError('CW_ERR_FILE_PERMISSION', `${name}:${displayPath(c.path)} cannot be read; use a user that may read it or --sudo`);
      }
      const current = liveHash(live);
      if (c.expectHash !== undefined && c.expectHash !== current) {
        throw new ConfwatchError('CW_ERR_WRITEBACK_CONFLICT', `${name}:${displayPath(c.path)} has hash ${current ?? '(absent)'}, not the expected ${c.expectHash ?? '(absent)'}; the batch was refused`, {
          details: { device: name, path: c.path, liveHash: current, expectHash: c.expectHash },
        });
      }
      const latest = await deps.store.latestSnapshot(name, c.path);
      const latestHash = latest && latest.changeType !== 'deleted' ? latest.contentHash : null;
      if (!options.force && current !== latestHash) {
        throw new ConfwatchError(
          'CW_ERR_WRITEBACK_CONFLICT',
          `${name}:${displayPath(c.path)} changed since the latest snapshot confwatch holds; run \`confwatch scan ${name}\` to see the change, or use --force`,
          { details: { device: name, path: c.path, liveHash: current, latestHash } },
        );
      }
      const tracked = await deps.store.getTrackedFile(name, c.path);
      const match = watchSet.match(c.path);
      const configType = tracked?.configType ?? watchSet.configTypeFor(c.path, c.content);
      const liveContent = live.kind === 'present' ? await transport.readFile(c.path, { sudo: device.sudo, maxBytes: Number.MAX_SAFE_INTEGER }) : null;
      const toHash = c.content ? sha256Hex(c.content) : null;
      const action = toHash === current ? 'unchanged' : c.content === null ? 'delete' : 'write';
      const validateCommand = match?.profile.validateCommand ?? null;
      const validation =
        options.validate !== false && c.content && action === 'write'
          ? await deps.validate(transport, { type: configType, path: c.path, content: c.content, command: validateCommand, sudo: device.sudo })
          : null;
      out.push({
        change: c,
        device,
        live,
        liveContent,
        backupSnapshotId: current !== null && current === latestHash ? latest!.id : null,
        configType,
        profile: tracked?.profile ?? match?.profile.name ?? 'custom',
        validateCommand,
        result: { device: name, path: c.path, action, fromHash: current, toHash, validation, diff: unifiedDiff(c.path, liveContent, c.content) },
      });
    }
  }
  return out;
}

/** Prepare's writing half, then commit, verify and record. Returns the stored snapshot ids by file. */
async function apply(
  deps: WritebackDeps,
  batchId: string,
  files: readonly Prepared[],
  options: BatchOptions,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<Map<string, string>> {
  if (files.length === 0) return new Map();
  // A forced write over a version confwatch has not stored keeps that version first: it is the backup.
  const withBackups = await storeUnseenVersions(deps, files, options);
  const entries: JournalEntry[] = withBackups.map((p) => ({
    device: p.device.name,
    path: p.change.path,
    tempPath: p.change.content ? tempPathFor(p.change.path, batchId) : null,
    newHash: p.result.toHash,
    backupHash: p.result.fromHash,
    backupSnapshotId: p.backupSnapshotId,
    mode: p.change.mode ?? (p.live.kind === 'present' ? p.live.stat.mode : p.change.defaultMode) ?? 0o644,
    uid: p.live.kind === 'present' ? p.live.stat.uid : null,
    gid: p.live.kind === 'present' ? p.live.stat.gid : null,
    configType: p.configType,
    profile: p.profile,
  }));
  const devices = new Map(withBackups.map((p) => [p.device.name, p.device]));
  const journal = await Journal.create(deps.repo, { id: batchId, operation: options.operation, source: options.source, actor: options.actor, entries });
  const cleanUp = () => removeAllTemps(entries, devices, transportOf);
  try {
    for (const [i, entry] of entries.entries()) {
      const content = withBackups[i]!.change.content;
      if (!content || !entry.tempPath) continue;
      const device = devices.get(entry.device)!;
      await uploadTemp(await transportOf(device), { tempPath: entry.tempPath, content, mode: entry.mode, uid: entry.uid, gid: entry.gid }, entry.newHash!, device.sudo);
    }
    await journal.phase('committing');
    await commitAll(journal, devices, transportOf);
    await verify(journal, devices, transportOf);
  } catch (error) {
    const failure = toConfwatchError(error, 'CW_ERR_WRITEBACK_FAILED');
    const undone = await undoEntries(deps, entries, devices, transportOf);
    const cleaned = await cleanUp();
    // A batch not fully undone or cleaned stays `failed`: recovery retries it.
    await journal.phase(undone && cleaned ? 'rolled-back' : 'failed', { error: failure.message });
    await markFailed(deps, options, withBackups, failure, true);
    if (failure.code === 'CW_ERR_WRITEBACK_CONFLICT') throw failure;
    throw new ConfwatchError('CW_ERR_WRITEBACK_FAILED', `${failure.message}; ${undone ? 'every file was put back as it was' : 'undo did not complete, the next start retries it'}`, {
      cause: failure,
      details: { batchId },
    });
  }
  await cleanUp();
  const contents = new Map(withBackups.map((p) => [keyOf(p.device.name, p.change.path), p.change.content]));
  const stored = await recordOutcome(deps, journal.state, {
    contentOf: async (e) => contents.get(keyOf(e.device, e.path)) ?? null,
    transportOf,
    devices,
    validations: withBackups.map((p) => p.result.validation),
  });
  await journal.phase('committed');
  return stored;
}

/** Removes every temp file of the batch; false when some host could not be cleaned. */
export async function removeAllTemps(
  entries: readonly JournalEntry[],
  devices: ReadonlyMap<string, DeviceRecord>,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<boolean> {
  let all = true;
  for (const [name, device] of devices) {
    const temps = entries.filter((e) => e.device === name && e.tempPath).map((e) => e.tempPath!);
    const transport = await transportOf(device).catch(() => null);
    all = (transport !== null && (await removeTemps(transport, temps, device.sudo))) && all;
  }
  return all;
}

async function commitAll(
  journal: Journal,
  devices: ReadonlyMap<string, DeviceRecord>,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<void> {
  const crashAfter = Number(process.env[CRASH_HOOK_ENV] ?? Number.NaN);
  for (const [name, device] of devices) {
    await journal.phase('committing', { device: name });
    const ops = journal.state.entries
      .filter((e) => e.device === name)
      .map((e) => ({ path: e.path, tempPath: e.tempPath, expectedLiveHash: e.backupHash }));
    const crashing = Number.isInteger(crashAfter) && journal.state.committedDevices.length === 0;
    const outcome = await commitDevice(await transportOf(device), ops, device.sudo, crashing ? crashAfter : ops.length);
    if (crashing) process.kill(process.pid, 'SIGKILL');
    if (!outcome.ok) {
      throw new ConfwatchError(outcome.reason === 'conflict' ? 'CW_ERR_WRITEBACK_CONFLICT' : 'CW_ERR_WRITEBACK_FAILED', `${name}: ${outcome.message}`);
    }
    await journal.deviceCommitted(name);
  }
}

async function verify(journal: Journal, devices: ReadonlyMap<string, DeviceRecord>, transportOf: (device: DeviceRecord) => Promise<Transport>): Promise<void> {
  for (const [name, device] of devices) {
    const entries = journal.state.entries.filter((e) => e.device === name);
    const lives = await observeFiles(await transportOf(device), entries.map((e) => e.path), { sudo: device.sudo });
    for (const [i, e] of entries.entries()) {
      if (liveHash(lives[i]!) !== e.newHash) {
        throw new ConfwatchError('CW_ERR_WRITEBACK_FAILED', `${name}:${displayPath(e.path)} does not have the written content after the commit`);
      }
    }
  }
}

/** Stores live versions confwatch has not seen (forced writes), so each can be put back. */
async function storeUnseenVersions(deps: WritebackDeps, files: readonly Prepared[], options: BatchOptions): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const p of files) {
    if (p.live.kind !== 'present' || p.backupSnapshotId !== null || !p.liveContent) {
      out.push(p);
      continue;
    }
    const tracked = await deps.store.getTrackedFile(p.device.name, p.change.path);
    const [snapshot] = await deps.store.recordSnapshots([
      {
        device: p.device.name,
        path: p.change.path,
        configType: p.configType,
        profile: p.profile,
        changeType: tracked && !tracked.deleted ? 'modified' : 'created',
        source: 'rescan',
        content: p.liveContent,
        mode: p.live.stat.mode,
        uid: p.live.stat.uid,
        gid: p.live.stat.gid,
        mtimeMs: p.live.stat.mtimeMs,
        ino: p.live.stat.ino,
        actor: options.actor,
        detectedAt: new Date().toISOString(),
      },
    ]);
    out.push({ ...p, backupSnapshotId: snapshot!.id });
  }
  return out;
}

async function markFailed(deps: WritebackDeps, options: BatchOptions, files: readonly Prepared[], error: ConfwatchError, publish: boolean): Promise<void> {
  for (const p of files) {
    const tracked = await deps.store.getTrackedFile(p.device.name, p.change.path);
    if (!tracked) continue;
    const validation = p.result.validation;
    await deps.store.updateTrackedFile(p.device.name, p.change.path, {
      lastError: `${options.operation}: ${error.message}`.slice(0, 1000),
      lastCheckedAt: new Date().toISOString(),
      ...(validation ? { validationStatus: validation.status } : {}),
    });
  }
  if (!publish) return;
  const byDevice = new Map<string, RemotePath[]>();
  for (const p of files) byDevice.set(p.device.name, [...(byDevice.get(p.device.name) ?? []), p.change.path]);
  for (const [device, paths] of byDevice) deps.bus.publish('writeback.failed', device, { operation: options.operation, paths, error: error.message });
}
