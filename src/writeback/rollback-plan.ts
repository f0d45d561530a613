/**
 * Rollback plans: for each file of a device changed after a target time
 * (or since a change set began), the step back to its state then —
 * restore the earlier version, delete a file that did not exist, recreate
 * one deleted since — with the diff of each step. Stored, then applied as
 * one atomic batch; a plan whose files changed after it was made is stale.
 */
import { ConfwatchError } from '../errors.js';
import { newId } from '../store/ids.js';
import type { SnapshotRecord } from '../store/records.js';
import type { RemotePath } from '../transport/remote-path.js';
import { type BatchChange, runBatch } from './batch.js';
import { unifiedDiff } from './unified-diff.js';
import type { WritebackDeps } from './writeback-deps.js';

export interface RollbackStep {
  readonly path: RemotePath;
  readonly action: 'restore' | 'delete' | 'recreate';
  /** Hash of the latest version when planned (null: deleted). */
  readonly fromHash: string | null;
  /** The version at the target (null: the file did not exist). */
  readonly toSnapshotId: string | null;
  readonly toHash: string | null;
  readonly diff: string;
  /** Filled when the plan is applied. */
  readonly result?: { readonly status: 'ok' | 'failed'; readonly snapshotId?: string; readonly error?: string };
}

export type RollbackTarget = { readonly time: string } | { readonly changeSetId: string };

export interface RollbackPlan {
  readonly id: string;
  readonly device: string;
  readonly target: RollbackTarget & { readonly cutoff: string };
  readonly createdAt: string;
  readonly status: 'planned' | 'applied' | 'failed';
  readonly steps: RollbackStep[];
}

const hashOf = (s: SnapshotRecord | undefined): string | null => (s && s.changeType !== 'deleted' ? s.contentHash : null);

/** Builds and stores a plan; rejects CW_ERR_NOT_FOUND for an unknown device or change set. */
export async function planRollback(deps: WritebackDeps, device: string, target: RollbackTarget): Promise<RollbackPlan> {
  if (!(await deps.store.getDevice(device))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${device}"; see \`confwatch device list\``);
  const cutoff = await cutoffOf(deps, device, target);
  const paths = [...new Set((await deps.store.snapshotsSince(device, cutoff)).map((s) => s.path))];
  const steps: RollbackStep[] = [];
  for (const path of paths) {
    const then = await deps.store.snapshotAt(device, path, cutoff);
    const now = await deps.store.latestSnapshot(device, path);
    const fromHash = hashOf(now);
    const toHash = hashOf(then);
    if (fromHash === toHash) continue;
    const action = toHash === null ? 'delete' : fromHash === null ? 'recreate' : 'restore';
    const from = fromHash ? await deps.store.readContent({ contentHash: fromHash }) : null;
    const to = toHash ? await deps.store.readContent({ contentHash: toHash }) : null;
    steps.push({ path, action, fromHash, toSnapshotId: then?.id ?? null, toHash, diff: unifiedDiff(path, from, to) });
  }
  const plan: RollbackPlan = { id: newId(), device, target: { ...target, cutoff }, createdAt: new Date().toISOString(), status: 'planned', steps };
  await deps.repo.createPlan({ id: plan.id, device, target: plan.target, steps, status: plan.status, createdAt: plan.createdAt });
  return plan;
}

/** The instant whose state the plan returns to. */
async function cutoffOf(deps: WritebackDeps, device: string, target: RollbackTarget): Promise<string> {
  if ('time' in target) {
    const ms = Date.parse(target.time);
    if (Number.isNaN(ms)) throw new ConfwatchError('CW_ERR_USAGE', `--to must be an ISO-8601 time, got "${target.time}"`);
    return new Date(ms).toISOString();
  }
  const set = await deps.store.getChangeSet(target.changeSetId);
  if (!set || set.device !== device) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown change set "${target.changeSetId}" on ${device}`);
  const members = (await deps.store.snapshotsSince(device, new Date(Date.parse(set.openedAt) - 60_000).toISOString())).filter((s) => s.changeSetId === set.id);
  const first = [set.openedAt, ...members.map((s) => s.detectedAt)].sort()[0]!;
  // Just before the change set's first change.
  return new Date(Date.parse(first) - 1).toISOString();
}

export async function getPlan(deps: WritebackDeps, id: string): Promise<RollbackPlan> {
  const stored = await deps.repo.getPlan(id);
  if (!stored) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown rollback plan "${id}"; make one with \`confwatch rollback plan\``);
  return { id: stored.id, device: stored.device, target: stored.target as RollbackPlan['target'], createdAt: stored.createdAt, status: stored.status as RollbackPlan['status'], steps: stored.steps as RollbackStep[] };
}

/** Applies a plan as one atomic batch; rejects CW_ERR_PLAN_STALE when a file changed after planning. */
export async function applyPlan(deps: WritebackDeps, id: string, actor: string, options: { validate?: boolean } = {}): Promise<RollbackPlan> {
  const plan = await getPlan(deps, id);
  if (plan.status !== 'planned') throw new ConfwatchError('CW_ERR_USAGE', `rollback plan ${id} is already ${plan.status}; make a new plan`);
  for (const step of plan.steps) {
    if (hashOf(await deps.store.latestSnapshot(plan.device, step.path)) !== step.fromHash) {
      throw new ConfwatchError('CW_ERR_PLAN_STALE', `${step.path} changed after plan ${id} was made; run \`confwatch rollback plan\` again`, { details: { path: step.path } });
    }
  }
  const changes: BatchChange[] = [];
  for (const step of plan.steps) {
    const target = step.toSnapshotId ? await deps.store.getSnapshot(step.toSnapshotId) : undefined;
    changes.push({
      device: plan.device,
      path: step.path,
      content: step.toHash ? await deps.store.readContent({ contentHash: step.toHash }) : null,
      expectHash: step.fromHash,
      ...(target?.mode != null ? { defaultMode: target.mode } : {}),
      ...(target?.uid != null ? { defaultUid: target.uid } : {}),
      ...(target?.gid != null ? { defaultGid: target.gid } : {}),
    });
  }
  try {
    const result = await runBatch(deps, changes, { operation: 'rollback', source: 'rollback', actor, force: true, ...(options.validate === false ? { validate: false } : {}) });
    const steps = plan.steps.map((s, i) => ({ ...s, result: { status: 'ok' as const, ...(result.files[i]?.snapshotId ? { snapshotId: result.files[i]!.snapshotId! } : {}) } }));
    const appliedAt = new Date().toISOString();
    await deps.repo.updatePlan(id, 'applied', steps, appliedAt);
    return { ...plan, status: 'applied', steps };
  } catch (error) {
    const message = (error as Error).message;
    const steps = plan.steps.map((s) => ({ ...s, result: { status: 'failed' as const, error: message } }));
    await deps.repo.updatePlan(id, 'failed', steps, null);
    throw error;
  }
}
