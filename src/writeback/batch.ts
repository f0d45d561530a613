/**
 * Atomic multi-file, multi-host write-back: prepare → commit → verify →
 * undo. Every write-back (restore, drift restore, rollback plan, changes
 * file) runs through here.
 *
 * - prepare: per host one round trip resolves links and reads every
 *   ancestor directory (target-plan.ts decides as whom each file may be
 *   written, or refuses it), one more reads live hashes; expectHash and "no
 *   change since the latest snapshot" checks; validation; the live bytes
 *   read as the writer and kept (a hash-only file's too) so undo has them;
 *   the journal written under a lease; every new content uploaded into a
 *   private temp directory beside its target and hash-checked.
 * - commit: per device one script re-checks every ancestor and live hash
 *   and renames all temp files into place; device by device, undoing
 *   committed devices from the backups when a later one fails.
 * - verify: live hashes re-read; any mismatch undoes the whole batch.
 * Temp directories are removed in `finally` whatever happened. */
import { transportPool } from './transport-pool.js';
import { ConfwatchError, toConfwatchError } from '../errors.js';
import type { SnapshotSource } from '../events/event-map.js';
import type { DeviceRecord, SnapshotRecord, ValidationResult } from '../store/records.js';
import { newId } from '../store/ids.js';
import { sha256Hex } from '../hash.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import { mappingsFor } from '../transport/path-mapping.js';
import type { Transport } from '../transport/transport.js';
import type { WatchSet } from '../devices/watch-set.js';
import { type JournalEntry, Journal } from './journal.js';
import { type LiveFile, liveHash, observeFiles, scopeFor, scopeOf } from './live-state.js';
import { recordOutcome } from './outcome.js';
import { commitDevice, randomTempToken, readAsWriter, removeTemps, tempDirFor, uploadTemp } from './remote-scripts.js';
import { type Ancestor, decideWriter, gatherFacts, type Session, type TargetFacts, type Writer } from './target-plan.js';
import { undoEntries } from './undo.js';
import { unifiedDiff } from './unified-diff.js';
import { withWriteLock } from './write-lock.js';
import { DEFAULT_MAX_BACKUP_BYTES, type WritebackDeps } from './writeback-deps.js';

/** One file a batch changes. */
export interface BatchChange {
  readonly device: string;
  readonly path: RemotePath;
  /** New content; null deletes the file. */
  readonly content: Buffer | null;
  /** The live file must have this hash (null: must not exist); undefined = no expectation. */
  readonly expectHash?: string | null;
  /**
   * Permission bits of the new file; default the live file's, else
   * defaultMode, else 0644. setuid, setgid and sticky bits are kept only
   * where the live file has them.
   */
  readonly mode?: number;
  /** Permission bits when the file does not exist now (a recreated file); ignored otherwise. */
  readonly defaultMode?: number;
  /** Owner and group when the file does not exist now (the snapshot's); ignored otherwise. */
  readonly defaultUid?: number;
  readonly defaultGid?: number;
}

/** Failures injected by tests at fixed points of a batch (never set in production). */
export interface BatchFaults {
  /** Runs once every temp file is uploaded, just before the first commit script. */
  beforeCommit?(entries: readonly JournalEntry[]): Promise<void> | void;
  /** The first device's commit stops after `renames` renames and `crash` runs (it kills the process). */
  readonly crash?: { readonly renames: number; crash(): void };
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
  /** Makes the random part of temp directory names. Default 128 random bits. */
  readonly tempToken?: () => string;
  readonly faults?: BatchFaults;
  /** The change request being applied: recorded on the journal and on every version stored. */
  readonly changeRequestId?: string;
}

export interface BatchFileResult {
  readonly device: string;
  readonly path: RemotePath;
  readonly action: 'write' | 'delete' | 'unchanged';
  readonly fromHash: string | null;
  readonly toHash: string | null;
  readonly validation: ValidationResult | null;
  /** Set when the file was written although validation could not run in context (its first output line says why). */
  readonly warning?: string;
  readonly diff: string;
  /** Why confwatch will not write this file (the batch is refused as a whole). */
  readonly refused?: string;
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
  /** The store holds the live bytes (the latest snapshot has content). */
  readonly backupStored: boolean;
  readonly writePath: RemotePath;
  readonly writer: Writer | null;
  readonly ancestors: readonly Ancestor[];
  readonly mode: number;
  readonly uid: number | null;
  readonly gid: number | null;
  readonly configType: JournalEntry['configType'];
  readonly profile: string;
  readonly validateCommand: string | null;
  /** The profile refuses writes whose validation could not run (`requireValidation`). */
  readonly requireValidation: boolean;
  readonly result: Omit<BatchFileResult, 'snapshotId'>;
}

/**
 * Runs a batch; rejects CW_ERR_WRITEBACK_CONFLICT / _INVALID / _OUTSIDE_PROFILE
 * / _REFUSED (nothing written, or refused at commit and undone) or _FAILED
 * (rolled back).
 */
export async function runBatch(deps: WritebackDeps, changes: readonly BatchChange[], options: BatchOptions): Promise<BatchResult> {
  assertDistinct(changes);
  const batchId = newId();
  const pool = transportPool((device) => deps.transportFor(device));
  const { transportOf } = pool;
  try {
    if (options.dryRun) return { batchId, status: 'dry-run', files: (await inspect(deps, changes, options, transportOf)).map((p) => p.result) };
    // The lock covers the checks too: what was checked is what gets replaced.
    const keys = changes.map((c) => ({ device: c.device, path: c.path }));
    return await withWriteLock(deps, keys, batchId, async (assertHeld) => {
      const prepared = await inspect(deps, changes, options, transportOf);
      const files = prepared.map((p) => p.result);
      const refused = files.filter((f) => f.refused);
      if (refused.length > 0) {
        const error = new ConfwatchError(
          'CW_ERR_WRITEBACK_REFUSED',
          `refused ${refused.map((f) => `${f.device}:${displayPath(f.path)} (${f.refused})`).join('; ')}; nothing was written`,
          { details: { refused: refused.map((f) => ({ device: f.device, path: f.path, reason: f.refused })), files } },
        );
        await markFailed(deps, options, prepared, error, true);
        throw error;
      }
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
      const unvalidated = prepared.filter((p) => p.requireValidation && p.result.validation?.status === 'unavailable');
      if (unvalidated.length > 0) {
        const first = unvalidated[0]!.result;
        const error = new ConfwatchError(
          'CW_ERR_WRITEBACK_UNVALIDATED',
          `validation could not run for ${unvalidated.map((p) => `${p.device.name}:${displayPath(p.change.path)}`).join(', ')} and its profile requires it; nothing was written: ${first.validation!.output.split('\n')[0]}`,
          { details: { files } },
        );
        await markFailed(deps, options, prepared, error, true);
        throw error;
      }
      assertHeld();
      const snapshotIds = await apply(deps, batchId, prepared.filter((p) => p.result.action !== 'unchanged'), options, transportOf, assertHeld);
      await clearErrors(deps, prepared.filter((p) => p.result.action === 'unchanged'));
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

/** Where each change writes: its path, or the watched file a link at its path leads to; else why not. */
async function resolveTargets(
  transport: Transport,
  device: DeviceRecord,
  list: readonly BatchChange[],
  watchSet: WatchSet,
): Promise<{ session: Session; targets: { writePath: RemotePath; facts: TargetFacts; refusal: string | null }[] }> {
  const { session, facts } = await gatherFacts(transport, list.map((c) => c.path), device.sudo);
  const own = new Set(list.map((c) => c.path));
  const linked = list.flatMap((c, i) => {
    const target = facts[i]!.linkTarget;
    return c.content !== null && target ? [target] : [];
  });
  const through = linked.length > 0 ? (await gatherFacts(transport, linked, device.sudo)).facts : [];
  const targets = list.map((c, i) => {
    const f = facts[i]!;
    const shown = displayPath(c.path);
    if (c.content === null || f.linkTarget === null) return { writePath: c.path, facts: f, refusal: null };
    if (f.linkTarget === '') return { writePath: c.path, facts: f, refusal: `${shown} is a symbolic link that cannot be resolved; confwatch does not replace links with files` };
    const resolved = through.find((t) => t.path === f.linkTarget)!;
    const target = displayPath(f.linkTarget);
    const refusal = !watchSet.match(f.linkTarget)
      ? `${shown} is a symbolic link to ${target}, which is not watched on ${device.name}; confwatch does not replace links with files or write outside the watched files`
      : own.has(f.linkTarget)
        ? `${shown} is a symbolic link to ${target}, which this batch also writes`
        : resolved.linkTarget !== null
          ? `${shown} leads to ${target}, which changed into a link while it was checked`
          : null;
    return { writePath: f.linkTarget, facts: resolved, refusal };
  });
  return { session, targets };
}

/** Mode bits of the new file: setuid, setgid and sticky only where the live file has them. */
function newMode(c: BatchChange, live: LiveFile): number {
  const base = c.mode ?? (live.kind === 'present' ? live.stat.mode : c.defaultMode) ?? 0o644;
  const special = live.kind === 'present' ? live.stat.mode & 0o7000 : 0;
  return (base & 0o777) | (base & special);
}

/** Prepare's read-only half: lookups, target and directory checks, live state, validation, diffs. */
async function inspect(
  deps: WritebackDeps,
  changes: readonly BatchChange[],
  options: BatchOptions,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<Prepared[]> {
  const byDevice = new Map<string, BatchChange[]>();
  for (const c of changes) byDevice.set(c.device, [...(byDevice.get(c.device) ?? []), c]);
  const maxBackupBytes = deps.maxBackupBytes ?? DEFAULT_MAX_BACKUP_BYTES;
  const out: Prepared[] = [];
  for (const [name, list] of byDevice) {
    const device = await deps.store.getDevice(name);
    if (!device) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${name}"; see \`confwatch device list\``);
    const watchSet = await deps.watchSetOf(name);
    for (const c of list) {
      if (!options.force && !watchSet.match(c.path)) {
        throw new ConfwatchError('CW_ERR_WRITEBACK_OUTSIDE_PROFILE', `${displayPath(c.path)} is outside the watched globs of ${name}; use --force to write it anyway`, {
          details: { device: name, path: c.path },
        });
      }
    }
    const transport = await transportOf(device);
    const { session, targets } = await resolveTargets(transport, device, list, watchSet);
    // Modes and owners are those of what gets written: a link's target, not the link. Read as
    // whoever controls the directory (decided without the owner, checked again with it below).
    const readers = targets.map((t) => {
      const decision = decideWriter(t.facts.ancestors, session);
      return decision.ok ? decision.writer : null;
    });
    const lives = await observeFiles(transport, targets.map((t) => t.writePath), { sudo: device.sudo, scope: scopeOf(watchSet), writers: readers });
    for (const [i, c] of list.entries()) {
      const live = lives[i]!;
      const target = targets[i]!;
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
      const uid = live.kind === 'present' ? live.stat.uid : (c.defaultUid ?? null);
      const gid = live.kind === 'present' ? live.stat.gid : (c.defaultGid ?? null);
      const decision = decideWriter(target.facts.ancestors, session, { uid, gid });
      const writer = decision.ok ? decision.writer : null;
      const tooLarge = live.kind === 'present' && live.stat.size > maxBackupBytes ? `${displayPath(c.path)} is larger than ${maxBackupBytes} bytes, too large to keep a backup of` : null;
      const refusal = target.refusal ?? (decision.ok ? null : decision.reason) ?? tooLarge;
      const tracked = await deps.store.getTrackedFile(name, c.path);
      const match = watchSet.match(c.path);
      const configType = tracked?.configType ?? watchSet.configTypeFor(c.path, c.content);
      const liveContent = live.kind === 'present' && !refusal ? await readAsWriter(transport, writer, target.writePath, maxBackupBytes, device.sudo) : null;
      if (liveContent && sha256Hex(liveContent) !== current) {
        throw new ConfwatchError('CW_ERR_WRITEBACK_CONFLICT', `${name}:${displayPath(c.path)} changed while the batch was being prepared; try again`, { details: { device: name, path: c.path } });
      }
      const toHash = c.content ? sha256Hex(c.content) : null;
      const action = toHash === current ? 'unchanged' : c.content === null ? 'delete' : 'write';
      const validateCommand = match?.profile.validateCommand ?? null;
      const validation =
        options.validate !== false && c.content && action === 'write' && !refusal
          ? await deps.validate(transport, {
              device: name,
              type: configType,
              path: c.path,
              content: c.content,
              command: validateCommand,
              sudo: device.sudo,
              mappings: mappingsFor(device, match ? [match.profile] : []),
            })
          : null;
      const backup = current !== null && current === latestHash ? (latest as SnapshotRecord) : null;
      const warning =
        validation?.status === 'unavailable' ? `validation could not run in context: ${validation.output.split('\n')[0]}; written without it` : undefined;
      out.push({
        change: c,
        device,
        live,
        liveContent,
        backupSnapshotId: backup?.id ?? null,
        backupStored: backup?.hasContent === true,
        writePath: target.writePath,
        writer,
        ancestors: target.facts.ancestors,
        mode: newMode(c, live),
        uid,
        gid,
        configType,
        profile: tracked?.profile ?? match?.profile.name ?? 'custom',
        validateCommand,
        requireValidation: match?.profile.requireValidation === true,
        result: {
          device: name,
          path: c.path,
          action,
          fromHash: current,
          toHash,
          validation,
          ...(warning ? { warning } : {}),
          diff: refusal && action !== 'unchanged' ? '' : unifiedDiff(c.path, liveContent, c.content),
          ...(refusal && action !== 'unchanged' ? { refused: refusal } : {}),
        },
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
  assertHeld: () => void,
): Promise<Map<string, string>> {
  if (files.length === 0) return new Map();
  // A forced write over a version confwatch has not stored keeps that version first: it is the backup.
  const withBackups = await storeUnseenVersions(deps, files, options);
  // History keeps only the hash of a file over maxFileBytes: its bytes are kept apart for undo.
  for (const p of withBackups) if (p.liveContent && !p.backupStored) await deps.store.keepContent(p.liveContent);
  const token = options.tempToken ?? randomTempToken;
  const entries: JournalEntry[] = withBackups.map((p) => ({
    device: p.device.name,
    path: p.change.path,
    writePath: p.writePath,
    tempDir: p.change.content ? tempDirFor(p.writePath, token()) : null,
    newHash: p.result.toHash,
    backupHash: p.result.fromHash,
    backupSnapshotId: p.backupSnapshotId,
    mode: p.mode,
    uid: p.uid,
    gid: p.gid,
    backupMode: p.live.kind === 'present' ? p.live.stat.mode : null,
    backupUid: p.live.kind === 'present' ? p.live.stat.uid : null,
    backupGid: p.live.kind === 'present' ? p.live.stat.gid : null,
    writer: p.writer,
    ancestors: p.ancestors,
    configType: p.configType,
    profile: p.profile,
  }));
  const devices = new Map(withBackups.map((p) => [p.device.name, p.device]));
  const journal = await Journal.create(
    deps.repo,
    { id: batchId, operation: options.operation, source: options.source, actor: options.actor, entries, ...(options.changeRequestId ? { changeRequestId: options.changeRequestId } : {}) },
    { ...(deps.instanceId ? { instance: deps.instanceId } : {}), ...(deps.leaseMs ? { leaseMs: deps.leaseMs } : {}) },
  );
  const cleanUp = () => removeAllTemps(entries, devices, transportOf);
  // what the watcher will see of this batch is recorded below, once, with its actor and batch
  const written = deps.ownWrites?.expect(
    entries.flatMap((e) => [e.path, ...(e.writePath === e.path ? [] : [e.writePath])].map((path) => ({ device: e.device, path, hash: e.newHash }))),
  );
  try {
    try {
      for (const [i, entry] of entries.entries()) {
        const content = withBackups[i]!.change.content;
        if (!content || !entry.tempDir) continue;
        const device = devices.get(entry.device)!;
        const missing = entry.ancestors.filter((a) => a.mark === null).map((a) => a.path);
        await uploadTemp(
          await transportOf(device),
          { tempDir: entry.tempDir, content, mode: entry.mode, uid: entry.uid, gid: entry.gid, writer: entry.writer, missing },
          entry.newHash!,
          device.sudo,
        );
      }
      await journal.phase('committing');
      await options.faults?.beforeCommit?.(entries);
      assertHeld();
      await commitAll(journal, devices, transportOf, options.faults);
      await verify(deps, journal, devices, transportOf);
    } catch (error) {
      const failure = toConfwatchError(error, 'CW_ERR_WRITEBACK_FAILED');
      const undone = await undoEntries(deps, entries, devices, transportOf);
      const cleaned = await cleanUp();
      // A batch not fully undone or cleaned stays `failed`: recovery retries it.
      await journal.phase(undone && cleaned ? 'rolled-back' : 'failed', { error: failure.message });
      await markFailed(deps, options, withBackups, failure, true);
      if (failure.code === 'CW_ERR_WRITEBACK_CONFLICT' || failure.code === 'CW_ERR_WRITEBACK_REFUSED') throw failure;
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
  } finally {
    written?.();
    await journal.release();
  }
}

/** Removes every temp directory of the batch; false when some host could not be cleaned. */
export async function removeAllTemps(
  entries: readonly JournalEntry[],
  devices: ReadonlyMap<string, DeviceRecord>,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
): Promise<boolean> {
  let all = true;
  for (const [name, device] of devices) {
    const temps = entries.filter((e) => e.device === name && e.tempDir).map((e) => ({ tempDir: e.tempDir!, writer: e.writer, ancestors: e.ancestors }));
    const transport = await transportOf(device).catch(() => null);
    all = (transport !== null && (await removeTemps(transport, temps, device.sudo))) && all;
  }
  return all;
}

async function commitAll(
  journal: Journal,
  devices: ReadonlyMap<string, DeviceRecord>,
  transportOf: (device: DeviceRecord) => Promise<Transport>,
  faults: BatchFaults | undefined,
): Promise<void> {
  for (const [name, device] of devices) {
    await journal.phase('committing', { device: name });
    const ops = journal.state.entries
      .filter((e) => e.device === name)
      .map((e) => ({ path: e.path, writePath: e.writePath, tempDir: e.tempDir, expectedLiveHash: e.backupHash, writer: e.writer, ancestors: e.ancestors }));
    const crash = journal.state.committedDevices.length === 0 ? faults?.crash : undefined;
    const outcome = await commitDevice(await transportOf(device), ops, device.sudo, crash ? crash.renames : ops.length);
    if (crash) {
      crash.crash();
      throw new ConfwatchError('CW_ERR_INTERNAL', 'the injected crash did not end the process');
    }
    if (!outcome.ok) {
      const code = outcome.reason === 'conflict' ? 'CW_ERR_WRITEBACK_CONFLICT' : outcome.reason === 'unsafe' ? 'CW_ERR_WRITEBACK_REFUSED' : 'CW_ERR_WRITEBACK_FAILED';
      throw new ConfwatchError(code, `${name}: ${outcome.message}`, outcome.reason === 'unsafe' ? { details: { refused: [{ device: name, reason: outcome.message }] } } : {});
    }
    await journal.deviceCommitted(name);
  }
}

async function verify(deps: WritebackDeps, journal: Journal, devices: ReadonlyMap<string, DeviceRecord>, transportOf: (device: DeviceRecord) => Promise<Transport>): Promise<void> {
  for (const [name, device] of devices) {
    const entries = journal.state.entries.filter((e) => e.device === name);
    const lives = await observeFiles(await transportOf(device), entries.map((e) => e.path), {
      sudo: device.sudo,
      scope: await scopeFor(deps, name),
      writers: entries.map((e) => e.writer),
    });
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

/** A file already as the batch wants it has succeeded too: an error left by an earlier write-back goes (written files get new rows). */
async function clearErrors(deps: WritebackDeps, files: readonly Prepared[]): Promise<void> {
  for (const p of files) {
    const tracked = await deps.store.getTrackedFile(p.device.name, p.change.path);
    if (tracked?.lastError) await deps.store.updateTrackedFile(p.device.name, p.change.path, { lastError: null });
  }
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
