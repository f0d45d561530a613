/**
 * Change requests (SPEC §11.2): write-backs that wait for approval.
 *
 * propose → (review: approve | reject) → apply, through the batch engine.
 * A proposal is checked like `apply --dry-run` (each target's live hash
 * read as its base, every candidate validated in context, diffs), each
 * entry's impact is assessed in the analysis pool, and the request's risk
 * (the highest) sets how many approvals it needs (policy, defaults LOW 0,
 * MEDIUM 1, HIGH 1, CRITICAL 2), always from distinct users other than the
 * author. Approvals are bound to the request's digest — every target, new
 * content hash and base hash — and its revision: an edit or a rebase
 * starts a new revision and earlier approvals no longer count. At apply,
 * every entry's base is the batch's `expectHash`, so a target that changed
 * since makes the request `conflict` and nothing is written.
 */
import { isRiskLevel, maxLevel, type RiskLevel, RISK_LEVELS } from '../analysis/risk-level.js';
import type { Impact } from '../analysis/impact.js';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import { isRole, type Role } from '../auth/scopes.js';
import { ConfwatchError, isConfwatchError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { ChangeEventFields } from '../events/event-map.js';
import { sha256Hex } from '../hash.js';
import type { ConfigType } from '../parsers/parser.js';
import type { ChangeRequestRepository, ChangeRequestStatus, StoredChangeRequest, StoredReview } from '../store/change-requests.repository.js';
import { newId } from '../store/ids.js';
import type { ValidationResult } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import type { BatchChange } from '../writeback/batch.js';
import type { ChangeEntry } from '../writeback/changes-file.js';
import { unifiedDiff } from '../writeback/unified-diff.js';
import type { AnalysisService } from './analysis.service.js';
import type { WritebackService } from './writeback.service.js';

/** One entry of a proposal: a changes-file entry (`line` optional; it only numbers error messages). */
export type ProposedChange = Omit<ChangeEntry, 'line'> & { readonly line?: number };

export interface ChangeRequestInput {
  /** Default: "<n> files on <devices>". */
  readonly title?: string;
  readonly changes: readonly ProposedChange[];
  /** Validate candidates in context (at proposal and at apply). Default true. */
  readonly validate?: boolean;
  /** Run the profiles' reload commands after the apply. Default false. */
  readonly reload?: boolean;
  /** Apply as soon as the last required approval arrives. Default false. */
  readonly applyOnApproval?: boolean;
  /** Where the proposal came from (a template's name and variables, a drift resolution); names only, shown with the request. */
  readonly origin?: Readonly<Record<string, unknown>>;
}

/** Impact of one entry as the request keeps it. */
export interface EntryImpact {
  readonly riskLevel: RiskLevel;
  readonly reasons: readonly { readonly rule: string; readonly level: RiskLevel; readonly detail: string }[];
  readonly affectedServices: readonly string[];
  readonly downstreamServices: readonly string[];
  readonly recommendedActions: readonly string[];
}

/** One stored entry (sealed with the request). */
export interface StoredEntry {
  readonly device: string;
  readonly path: RemotePath;
  readonly configType: ConfigType;
  /** `accept`: a drift acceptance, nothing is written; the live version becomes the baseline. */
  readonly action: 'write' | 'delete' | 'unchanged' | 'accept';
  /** The candidate bytes, base64; null for a delete or an acceptance. */
  readonly content: string | null;
  readonly mode?: number;
  /** The live hash when proposed (or rebased): what the apply expects to find. Null: absent. */
  readonly baseHash: string | null;
  readonly toHash: string | null;
  readonly diff: string;
  readonly validation: ValidationResult | null;
  readonly warning?: string;
  readonly impact: EntryImpact;
}

/** What happened at apply (sealed: errors can quote validation output). */
export interface ChangeOutcome {
  readonly appliedBy?: string;
  readonly appliedAt?: string;
  readonly batchId?: string;
  readonly snapshotIds?: readonly string[];
  readonly code?: string;
  readonly error?: string;
  readonly conflicts?: readonly { device: string; path: RemotePath; baseHash: string | null; liveHash: string | null }[];
  readonly breakGlass?: { readonly by: string; readonly reason: string };
  /** LOW requests need no approval: recorded as approved by policy when proposed. */
  readonly autoApproved?: boolean;
}

type Stored = StoredChangeRequest<StoredEntry, ChangeOutcome>;

export interface ReviewView {
  readonly user: string;
  readonly comment: string | null;
  readonly at: string;
}

export interface ChangeFileView {
  readonly device: string;
  readonly path: RemotePath;
  readonly action: StoredEntry['action'];
  readonly baseHash: string | null;
  readonly toHash: string | null;
  readonly riskLevel: RiskLevel;
  readonly impact: EntryImpact;
  readonly validation: ValidationResult | null;
  readonly warning?: string;
  readonly diff: string;
}

/** A change request as the CLI, the API and the UI show it (SPEC §11.2 fields first). */
export interface ChangeRequestView {
  readonly id: string;
  readonly status: ChangeRequestStatus;
  readonly riskLevel: RiskLevel;
  readonly requiredApprovals: number;
  /** Approvals of the current revision, by distinct users other than the author. */
  readonly approvals: readonly ReviewView[];
  readonly rejections: readonly ReviewView[];
  readonly title: string;
  readonly author: string;
  readonly revision: number;
  readonly digest: string;
  readonly applyOnApproval: boolean;
  readonly validate: boolean;
  readonly reload: boolean;
  readonly devices: readonly string[];
  readonly origin: Readonly<Record<string, unknown>> | null;
  readonly files: readonly ChangeFileView[];
  readonly outcome: ChangeOutcome | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly expiresAt: string;
}

/** Approval policy (change_settings rows; defaults below). */
export interface ChangePolicy {
  readonly approvals: Readonly<Record<RiskLevel, number>>;
  readonly expiryDays: number;
  /** Accepting drift on a CRITICAL file becomes a change request: globally, or per device (a device's setting wins). */
  readonly driftApproval: { readonly global: boolean; readonly devices: Readonly<Record<string, boolean>> };
}

export const DEFAULT_CHANGE_POLICY: ChangePolicy = {
  approvals: { LOW: 0, MEDIUM: 1, HIGH: 1, CRITICAL: 2 },
  expiryDays: 7,
  driftApproval: { global: false, devices: {} },
};

export interface PolicyPatch {
  readonly approvals?: Partial<Record<RiskLevel, number>>;
  readonly expiryDays?: number;
  /** `device` absent: the global setting; null removes a device's own setting. */
  readonly driftApproval?: { readonly device?: string; readonly enabled: boolean | null };
}

export interface ChangeRequestServiceDeps {
  readonly repository: ChangeRequestRepository;
  readonly store: Pick<SnapshotStore, 'getSnapshot' | 'readContent' | 'latestSnapshot' | 'getTrackedFile' | 'getDevice'>;
  readonly writeback: Pick<WritebackService, 'applyChanges' | 'readLive' | 'resolveDrift'>;
  readonly analysis: Pick<AnalysisService, 'assessCandidate'>;
  readonly bus: EventBus;
  readonly audit: AuditRecorder;
  /** Users and their roles (break-glass needs an admin; the CLI's default actor is the first admin). */
  readonly users: { getUser(name: string): Promise<{ name: string; role: string; disabled: boolean }>; listUsers(): Promise<{ name: string; role: string; disabled: boolean }[]> };
  /** Default: the system clock. */
  readonly clock?: () => Date;
}

const OPEN: readonly ChangeRequestStatus[] = ['pending', 'approved'];
const MAX_TITLE = 200;
const MAX_COMMENT = 2000;
/** An apply still `applying` after this long lost its process (a batch's lease is 60 s, renewed while it runs). */
const STALE_APPLYING_MS = 15 * 60_000;

export class ChangeRequestService {
  readonly #deps: ChangeRequestServiceDeps;
  readonly #clock: () => Date;

  constructor(deps: ChangeRequestServiceDeps) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
  }

  /**
   * Proposes a change request as `actor`: bases read, candidates validated
   * and diffed (nothing is written), impact assessed, risk and required
   * approvals set. A LOW request needs no approval and is approved at once
   * (and applied, with `applyOnApproval`). Rejects CW_ERR_WRITEBACK_INVALID
   * / _REFUSED / _CONFLICT / _OUTSIDE_PROFILE as `apply --dry-run` would,
   * CW_ERR_CHANGE_EMPTY when nothing would change.
   */
  async propose(actor: string, input: ChangeRequestInput): Promise<ChangeRequestView> {
    const validate = input.validate !== false;
    const entries = await this.#prepare(actor, input.changes, validate);
    const request = await this.#insert(actor, entries, validate, {
      title: input.title?.trim() || defaultTitle(entries),
      origin: input.origin ?? null,
      applyOnApproval: input.applyOnApproval === true,
      reload: input.reload === true,
    });
    if (request.status === 'approved' && request.applyOnApproval) return this.#apply(request, actor, null);
    return this.#view(request);
  }

  /** Requests, newest first (expired ones marked so first). */
  async list(options: { status?: ChangeRequestStatus } = {}): Promise<ChangeRequestView[]> {
    await this.#expireDue();
    const rows = await this.#deps.repository.list<StoredEntry, ChangeOutcome>(options);
    return Promise.all(rows.map((r) => this.#view(r)));
  }

  /** One request; CW_ERR_NOT_FOUND when unknown. */
  async get(id: string): Promise<ChangeRequestView> {
    return this.#view(await this.#load(id));
  }

  /**
   * Approves as `actor`: never the author, once per user and revision.
   * When the approvals of the current revision reach the requirement the
   * request becomes `approved` (and is applied, with `applyOnApproval`).
   */
  async approve(actor: string, id: string, comment?: string): Promise<ChangeRequestView> {
    const request = await this.#load(id);
    this.#reviewable(request, actor);
    await this.#deps.repository.addReview({ requestId: id, reviewer: actor, decision: 'approve', comment: cleanComment(comment), digest: request.digest, revision: request.revision, at: this.#now() });
    const approvals = validApprovals(request, await this.#deps.repository.reviews(id));
    let current = request;
    if (request.status === 'pending' && approvals.length >= request.requiredApprovals) {
      // compare-and-set on status and revision: an edit that raced this approval wins
      if (await this.#deps.repository.update(id, ['pending'], { status: 'approved' }, this.#now(), request.revision)) current = { ...request, status: 'approved' };
    }
    this.#publish('change.approved', current, { reviewer: actor, approvals: approvals.length, requiredApprovals: current.requiredApprovals, status: current.status });
    if (current.status === 'approved' && request.status === 'pending' && current.applyOnApproval) return this.#apply(current, actor, null);
    return this.#view(current);
  }

  /** Rejects as `actor` (not the author) with a required comment; any rejection rejects the request. */
  async reject(actor: string, id: string, comment: string): Promise<ChangeRequestView> {
    const text = cleanComment(comment);
    if (!text) throw new ConfwatchError('CW_ERR_USAGE', 'a rejection needs a comment saying why (--comment TEXT)');
    const request = await this.#load(id);
    this.#reviewable(request, actor);
    await this.#deps.repository.addReview({ requestId: id, reviewer: actor, decision: 'reject', comment: text, digest: request.digest, revision: request.revision, at: this.#now() });
    if (!(await this.#deps.repository.update(id, OPEN, { status: 'rejected' }, this.#now()))) return this.get(id);
    const rejected = { ...request, status: 'rejected' as const };
    this.#publish('change.rejected', rejected, { reviewer: actor });
    return this.#view(rejected);
  }

  /** Cancels an open request (its author or an admin). */
  async cancel(actor: string, id: string): Promise<ChangeRequestView> {
    const request = await this.#load(id);
    await this.#assertAuthorOrAdmin(request, actor, 'cancel');
    const from: ChangeRequestStatus[] = ['pending', 'approved', 'conflict', 'failed'];
    if (!from.includes(request.status) || !(await this.#deps.repository.update(id, from, { status: 'cancelled' }, this.#now()))) {
      throw stateError(request, 'cancelled');
    }
    return this.#view({ ...request, status: 'cancelled' });
  }

  /**
   * Replaces the request's changes (its author or an admin): checked and
   * assessed like a proposal, a new revision whose approvals start from none.
   */
  async edit(actor: string, id: string, input: ChangeRequestInput): Promise<ChangeRequestView> {
    const request = await this.#load(id);
    await this.#assertAuthorOrAdmin(request, actor, 'edit');
    const validate = input.validate ?? request.validate;
    const entries = await this.#prepare(actor, input.changes, validate);
    return this.#revise(request, entries, validate, { ...(input.title?.trim() ? { title: input.title.trim().slice(0, MAX_TITLE) } : {}), ...(input.reload !== undefined ? { reload: input.reload } : {}) });
  }

  /**
   * Reads every target's live hash again as its base and assesses the same
   * candidates against it (after a conflict): a new revision, approvals
   * start from none.
   */
  async rebase(actor: string, id: string): Promise<ChangeRequestView> {
    const request = await this.#load(id);
    await this.#assertAuthorOrAdmin(request, actor, 'rebase');
    if (request.origin?.kind === 'drift-accept') {
      const entries = [await this.#acceptEntry(request.entries[0]!.device, request.entries[0]!.path)];
      return this.#revise(request, entries, request.validate, {});
    }
    const changes: ProposedChange[] = request.entries.map((e) => ({
      device: e.device,
      path: e.path,
      source: e.content === null ? { kind: 'delete' } : { kind: 'content', content: Buffer.from(e.content, 'base64') },
      ...(e.mode !== undefined ? { mode: e.mode } : {}),
    }));
    const entries = await this.#prepare(actor, changes, request.validate);
    return this.#revise(request, entries, request.validate, {});
  }

  /**
   * Applies an approved request through the batch engine, as `actor`.
   * `breakGlass`: an admin applies without the approvals (a reason is
   * required); audited and announced CRITICAL. Returns the request in its
   * new status: `applied`, `conflict` (a target changed since its base:
   * nothing written) or `failed` (the batch refused or rolled back).
   */
  async apply(actor: string, id: string, options: { breakGlass?: { reason: string } } = {}): Promise<ChangeRequestView> {
    const request = await this.#load(id);
    if (options.breakGlass) {
      const reason = options.breakGlass.reason.trim();
      if (!reason) throw new ConfwatchError('CW_ERR_CHANGE_BREAK_GLASS', 'break-glass needs a reason: --reason TEXT');
      const user = await this.#user(actor);
      if (user.role !== 'admin') throw new ConfwatchError('CW_ERR_CHANGE_BREAK_GLASS', `break-glass is for admins; ${actor} is ${user.role}`);
      if (!['pending', 'approved', 'conflict', 'failed'].includes(request.status)) throw stateError(request, 'applied');
      return this.#apply(request, actor, reason.slice(0, MAX_COMMENT));
    }
    if (request.status !== 'approved') {
      throw stateError(request, 'applied', request.status === 'pending' ? ` (it has ${validApprovals(request, await this.#deps.repository.reviews(id)).length} of ${request.requiredApprovals} approvals)` : '');
    }
    return this.#apply(request, actor, null);
  }

  /**
   * Accepting drift through the gate: when the device's policy asks for it
   * and the live version's impact against the baseline is CRITICAL, a
   * change request is proposed instead (returned as `request`); otherwise
   * the drift is accepted at once.
   */
  async acceptDrift(actor: string, device: string, path: RemotePath): Promise<{ gated: false; snapshotId: string } | { gated: true; request: ChangeRequestView }> {
    const policy = await this.policy();
    const gate = policy.driftApproval.devices[device] ?? policy.driftApproval.global;
    if (gate) {
      const entry = await this.#acceptEntry(device, path);
      if (entry.impact.riskLevel === 'CRITICAL') {
        const request = await this.#proposeEntries(actor, [entry], true, {
          title: `Accept drift of ${displayPath(path)} on ${device}`,
          origin: { kind: 'drift-accept', device, path },
        });
        return { gated: true, request };
      }
    }
    const resolved = await this.#deps.writeback.resolveDrift({ device, path, resolution: 'accept', actor });
    return { gated: false, snapshotId: resolved.snapshotId };
  }

  /** The approval policy, defaults filled in. */
  async policy(): Promise<ChangePolicy> {
    const settings = await this.#deps.repository.settings();
    const approvals = { ...DEFAULT_CHANGE_POLICY.approvals };
    for (const level of RISK_LEVELS) {
      const value = settings.get(`approvals.${level}`);
      if (value !== undefined) approvals[level] = Number(value);
    }
    const devices: Record<string, boolean> = {};
    for (const [name, value] of settings) if (name.startsWith('driftApproval:')) devices[name.slice('driftApproval:'.length)] = value === 'on';
    return {
      approvals,
      expiryDays: settings.has('expiryDays') ? Number(settings.get('expiryDays')) : DEFAULT_CHANGE_POLICY.expiryDays,
      driftApproval: { global: settings.get('driftApproval') === 'on', devices },
    };
  }

  /** Changes the policy; applies to requests proposed (or revised) afterwards. */
  async setPolicy(patch: PolicyPatch): Promise<ChangePolicy> {
    const at = this.#now();
    for (const [level, count] of Object.entries(patch.approvals ?? {})) {
      if (!isRiskLevel(level)) throw new ConfwatchError('CW_ERR_USAGE', `unknown risk level "${level}"; use LOW, MEDIUM, HIGH or CRITICAL`);
      if (!Number.isInteger(count) || count! < 0 || count! > 10) throw new ConfwatchError('CW_ERR_USAGE', `approvals for ${level} must be a whole number from 0 to 10`);
      await this.#deps.repository.setSetting(`approvals.${level}`, String(count), at);
    }
    if (patch.expiryDays !== undefined) {
      if (!Number.isInteger(patch.expiryDays) || patch.expiryDays < 1 || patch.expiryDays > 365) throw new ConfwatchError('CW_ERR_USAGE', 'expiry must be a whole number of days from 1 to 365');
      await this.#deps.repository.setSetting('expiryDays', String(patch.expiryDays), at);
    }
    if (patch.driftApproval) {
      const { device, enabled } = patch.driftApproval;
      if (device !== undefined && !(await this.#deps.store.getDevice(device))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${device}"; see \`confwatch device list\``);
      const value = enabled === null ? null : enabled ? 'on' : 'off';
      await this.#deps.repository.setSetting(device === undefined ? 'driftApproval' : `driftApproval:${device}`, device === undefined ? (value ?? 'off') : value, at);
    }
    return this.policy();
  }

  /** The user the CLI acts as without `--as`: the first enabled admin by name. */
  async defaultActor(): Promise<string> {
    const admin = (await this.#deps.users.listUsers()).find((u) => u.role === 'admin' && !u.disabled);
    if (!admin) throw new ConfwatchError('CW_ERR_NOT_FOUND', 'no admin user exists; run `confwatch init` or pass --as USER');
    return admin.name;
  }

  /** Checks that `name` is an enabled user (the CLI's `--as`); returns its role. */
  async assertUser(name: string): Promise<Role> {
    const user = await this.#user(name);
    return user.role as Role;
  }

  async #user(name: string): Promise<{ name: string; role: Role }> {
    const user = await this.#deps.users.getUser(name);
    if (user.disabled) throw new ConfwatchError('CW_ERR_AUTH_FORBIDDEN', `user "${name}" is disabled`);
    if (!isRole(user.role)) throw new ConfwatchError('CW_ERR_INTERNAL', `user "${name}" has an unknown role`);
    return { name: user.name, role: user.role };
  }

  async #apply(request: Stored, actor: string, breakGlass: string | null): Promise<ChangeRequestView> {
    const from: ChangeRequestStatus[] = breakGlass ? ['pending', 'approved', 'conflict', 'failed'] : ['approved'];
    if (!(await this.#deps.repository.update(request.id, from, { status: 'applying' }, this.#now(), request.revision))) {
      throw stateError(await this.#load(request.id), 'applied');
    }
    const reviews = await this.#deps.repository.reviews(request.id);
    const approvers = validApprovals(request, reviews).map((r) => r.reviewer);
    const finish = async (status: ChangeRequestStatus, outcome: ChangeOutcome): Promise<Stored> => {
      const merged = { ...(request.outcome?.autoApproved ? { autoApproved: true } : {}), ...outcome, ...(breakGlass ? { breakGlass: { by: actor, reason: breakGlass } } : {}) };
      await this.#deps.repository.update(request.id, ['applying'], { status, outcome: merged }, this.#now());
      return { ...request, status, outcome: merged, updatedAt: this.#now() };
    };
    const auditDetails = { author: request.author, approvers, breakGlass: breakGlass !== null, ...(breakGlass ? { reason: breakGlass } : {}) };
    try {
      let batchId = '';
      let snapshotIds: string[] = [];
      if (request.origin?.kind === 'drift-accept') {
        const entry = request.entries[0]!;
        const live = await this.#deps.writeback.readLive(entry.device, entry.path);
        if (live.hash !== entry.baseHash) {
          throw new ConfwatchError('CW_ERR_WRITEBACK_CONFLICT', `${entry.device}:${displayPath(entry.path)} changed since the request was proposed`, {
            details: { device: entry.device, path: entry.path, liveHash: live.hash, expectHash: entry.baseHash },
          });
        }
        const resolved = await this.#deps.writeback.resolveDrift({ device: entry.device, path: entry.path, resolution: 'accept', actor });
        snapshotIds = [resolved.snapshotId];
      } else {
        const result = await this.#deps.writeback.applyChanges(batchChanges(request.entries), {
          actor,
          operation: 'change-request',
          source: 'change-request',
          changeRequestId: request.id,
          validate: request.validate,
          reload: request.reload,
        });
        batchId = result.batchId;
        snapshotIds = result.files.flatMap((f) => (f.snapshotId ? [f.snapshotId] : []));
      }
      const applied = await finish('applied', { appliedBy: actor, appliedAt: this.#now(), batchId, snapshotIds });
      await this.#deps.audit.record({ actor, action: 'change.applied', target: `id=${request.id}`, clientAddress: null, result: 'ok', details: { ...auditDetails, batchId } });
      this.#publish('change.applied', applied, {
        actor,
        author: request.author,
        approvers,
        snapshotIds,
        batchId,
        breakGlass: breakGlass !== null,
        reason: breakGlass,
        ...(breakGlass ? { riskLevel: 'CRITICAL' as const } : {}),
      });
      return this.#view(applied);
    } catch (error) {
      const failure = isConfwatchError(error) ? error : new ConfwatchError('CW_ERR_INTERNAL', (error as Error).message, { cause: error });
      if (failure.code === 'CW_ERR_WRITEBACK_CONFLICT') {
        const conflicts = await this.#conflicts(request);
        const conflicted = await finish('conflict', { code: failure.code, error: failure.message.split('\n')[0]!, conflicts });
        await this.#deps.audit.record({ actor, action: 'change.applied', target: `id=${request.id}`, clientAddress: null, result: 'error', details: { ...auditDetails, code: failure.code } });
        this.#publish('change.conflict', conflicted, { conflicts: [...conflicts] });
        return this.#view(conflicted);
      }
      const failed = await finish('failed', { code: failure.code, error: failure.message.split('\n')[0]!.slice(0, 1000) });
      await this.#deps.audit.record({ actor, action: 'change.applied', target: `id=${request.id}`, clientAddress: null, result: 'error', details: { ...auditDetails, code: failure.code } });
      return this.#view(failed);
    }
  }

  /** Which targets no longer have their base hash (read again after a conflict, for the request's outcome). */
  async #conflicts(request: Stored): Promise<{ device: string; path: RemotePath; baseHash: string | null; liveHash: string | null }[]> {
    const out: { device: string; path: RemotePath; baseHash: string | null; liveHash: string | null }[] = [];
    for (const entry of request.entries) {
      const live = await this.#deps.writeback.readLive(entry.device, entry.path).catch(() => null);
      if (live && live.hash === entry.baseHash) continue;
      out.push({ device: entry.device, path: entry.path, baseHash: entry.baseHash, liveHash: live?.hash ?? null });
    }
    return out;
  }

  /** Stores a new revision: approvals of earlier ones no longer count. */
  async #revise(request: Stored, entries: StoredEntry[], validate: boolean, extra: { title?: string; reload?: boolean }): Promise<ChangeRequestView> {
    const policy = await this.policy();
    const risk = highest(entries);
    const required = policy.approvals[risk];
    const revision = request.revision + 1;
    const status: ChangeRequestStatus = required === 0 ? 'approved' : 'pending';
    const patch = {
      ...extra,
      status,
      entries,
      validate,
      riskLevel: risk,
      requiredApprovals: required,
      devices: devicesOf(entries),
      digest: digestOf(entries, validate),
      revision,
      outcome: required === 0 ? { autoApproved: true } : null,
    };
    if (!(await this.#deps.repository.update(request.id, ['pending', 'approved', 'conflict', 'failed'], patch, this.#now(), request.revision))) {
      throw stateError(await this.#load(request.id), 'revised');
    }
    const revised: Stored = { ...request, ...patch, updatedAt: this.#now() };
    this.#publish('change.proposed', revised, { author: request.author, requiredApprovals: required, status, revision });
    return this.#view(revised);
  }

  async #proposeEntries(actor: string, entries: StoredEntry[], validate: boolean, input: { title: string; origin: Record<string, unknown> }): Promise<ChangeRequestView> {
    return this.#view(await this.#insert(actor, entries, validate, { ...input, applyOnApproval: false, reload: false }));
  }

  /** Stores a new request over prepared entries, approved at once when its risk needs no approval, and announces it. */
  async #insert(
    actor: string,
    entries: StoredEntry[],
    validate: boolean,
    input: { title: string; origin: Readonly<Record<string, unknown>> | null; applyOnApproval: boolean; reload: boolean },
  ): Promise<Stored> {
    const policy = await this.policy();
    const now = this.#clock();
    const risk = highest(entries);
    const required = policy.approvals[risk];
    const request: Stored = {
      id: newId(),
      title: input.title.slice(0, MAX_TITLE),
      author: actor,
      status: required === 0 ? 'approved' : 'pending',
      riskLevel: risk,
      requiredApprovals: required,
      applyOnApproval: input.applyOnApproval,
      validate,
      reload: input.reload,
      devices: devicesOf(entries),
      digest: digestOf(entries, validate),
      revision: 1,
      origin: input.origin,
      entries,
      outcome: required === 0 ? { autoApproved: true } : null,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + policy.expiryDays * 86_400_000).toISOString(),
    };
    await this.#deps.repository.insert(request);
    this.#publish('change.proposed', request, { author: actor, requiredApprovals: required, status: request.status, revision: 1 });
    return request;
  }

  /** The entry of a drift acceptance: the live version against the baseline, nothing to write. */
  async #acceptEntry(device: string, path: RemotePath): Promise<StoredEntry> {
    const tracked = await this.#deps.store.getTrackedFile(device, path);
    if (!tracked) throw new ConfwatchError('CW_ERR_NOT_FOUND', `${displayPath(path)} is not tracked on ${device}; see \`confwatch files --device ${device}\``);
    const baseline = tracked.baselineSnapshotId ? await this.#deps.store.getSnapshot(tracked.baselineSnapshotId) : undefined;
    const before = baseline?.hasContent && baseline.contentHash && baseline.changeType !== 'deleted' ? await this.#deps.store.readContent(baseline) : undefined;
    const live = await this.#deps.writeback.readLive(device, path);
    const impact = await this.#deps.analysis.assessCandidate({
      device,
      path,
      type: tracked.configType,
      ...(before ? { before } : {}),
      ...(live.content ? { after: live.content } : {}),
    });
    return {
      device,
      path,
      configType: tracked.configType,
      action: 'accept',
      content: null,
      baseHash: live.hash,
      toHash: live.hash,
      diff: unifiedDiff(path, before ?? null, live.content),
      validation: null,
      impact: entryImpact(impact),
    };
  }

  /** Resolves contents, runs the dry run, assesses impact; refuses what `apply` would refuse. */
  async #prepare(actor: string, changes: readonly ProposedChange[], validate: boolean): Promise<StoredEntry[]> {
    if (changes.length === 0) throw new ConfwatchError('CW_ERR_USAGE', 'a change request needs at least one change');
    const batch: (BatchChange & { content: Buffer | null })[] = [];
    for (const [i, entry] of changes.entries()) {
      const content = await this.#contentOf(entry, entry.line ?? i + 1);
      batch.push({ device: entry.device, path: entry.path, content, ...(entry.expectHash !== undefined ? { expectHash: entry.expectHash } : {}), ...(entry.mode !== undefined ? { mode: entry.mode } : {}) });
    }
    const dry = await this.#deps.writeback.applyChanges(batch, { actor, operation: 'change-request', source: 'change-request', validate, dryRun: true });
    const refused = dry.files.filter((f) => f.refused);
    if (refused.length > 0) {
      throw new ConfwatchError('CW_ERR_WRITEBACK_REFUSED', `refused ${refused.map((f) => `${f.device}:${displayPath(f.path)} (${f.refused})`).join('; ')}; nothing was proposed`);
    }
    const invalid = dry.files.filter((f) => f.validation?.status === 'invalid');
    if (invalid.length > 0) {
      throw new ConfwatchError(
        'CW_ERR_WRITEBACK_INVALID',
        `validation refused ${invalid.map((f) => `${f.device}:${displayPath(f.path)}`).join(', ')}; nothing was proposed: ${invalid[0]!.validation!.output.split('\n')[0]}`,
      );
    }
    if (dry.files.every((f) => f.action === 'unchanged')) throw new ConfwatchError('CW_ERR_CHANGE_EMPTY', 'every file already has the proposed content; nothing to propose');
    const entries: StoredEntry[] = [];
    for (const [i, file] of dry.files.entries()) {
      const change = batch[i]!;
      const tracked = await this.#deps.store.getTrackedFile(file.device, file.path);
      const latest = await this.#deps.store.latestSnapshot(file.device, file.path);
      // the dry run checked that the live file is the latest stored version: its bytes are the "before"
      const before = latest?.hasContent && latest.contentHash === file.fromHash ? await this.#deps.store.readContent(latest) : undefined;
      const type = tracked?.configType ?? latest?.configType ?? 'generic';
      const impact =
        file.action === 'unchanged'
          ? ({ riskLevel: 'LOW', reasons: [], affectedServices: [], downstreamServices: [], recommendedActions: [] } as unknown as Impact)
          : await this.#deps.analysis.assessCandidate({
              device: file.device,
              path: file.path,
              type,
              ...(before ? { before } : {}),
              ...(change.content ? { after: change.content } : {}),
            });
      entries.push({
        device: file.device,
        path: file.path,
        configType: type,
        action: file.action,
        content: change.content ? change.content.toString('base64') : null,
        ...(change.mode !== undefined ? { mode: change.mode } : {}),
        baseHash: file.fromHash,
        toHash: file.toHash,
        diff: file.diff,
        validation: file.validation,
        ...(file.warning ? { warning: file.warning } : {}),
        impact: entryImpact(impact),
      });
    }
    return entries;
  }

  async #contentOf(entry: ProposedChange, line: number): Promise<Buffer | null> {
    const source = entry.source;
    if (source.kind === 'content') return source.content;
    if (source.kind === 'delete') return null;
    const snapshot = await this.#deps.store.getSnapshot(source.snapshotId);
    if (!snapshot) throw new ConfwatchError('CW_ERR_INPUT', `change ${line}: unknown snapshot "${source.snapshotId}"`);
    return snapshot.changeType === 'deleted' ? null : this.#deps.store.readContent(snapshot);
  }

  #reviewable(request: Stored, actor: string): void {
    if (request.author === actor) throw new ConfwatchError('CW_ERR_CHANGE_SELF_REVIEW', `${actor} proposed change request ${request.id} and cannot review it; ask another user`);
    if (!OPEN.includes(request.status)) throw stateError(request, 'reviewed');
  }

  async #assertAuthorOrAdmin(request: Stored, actor: string, what: string): Promise<void> {
    if (request.author === actor) return;
    const user = await this.#user(actor);
    if (user.role !== 'admin') throw new ConfwatchError('CW_ERR_CHANGE_NOT_AUTHOR', `only ${request.author} (the author) or an admin may ${what} change request ${request.id}`);
  }

  async #load(id: string): Promise<Stored> {
    await this.#expireDue();
    const request = await this.#deps.repository.get<StoredEntry, ChangeOutcome>(id);
    if (!request) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown change request "${id}"; see \`confwatch change list\``);
    return request;
  }

  /**
   * Open requests past their expiry become `expired`. A request left
   * `applying` by a process that stopped mid-apply is settled from what its
   * batch left: batches are all or nothing and the next start's recovery
   * finishes or undoes them, recording the request id on the versions it
   * finishes, so versions mean `applied` and none means `failed`.
   */
  async #expireDue(): Promise<void> {
    const now = this.#now();
    for (const id of await this.#deps.repository.expiredIds(OPEN, now)) await this.#deps.repository.update(id, OPEN, { status: 'expired' }, now);
    const stale = new Date(this.#clock().getTime() - STALE_APPLYING_MS).toISOString();
    for (const id of await this.#deps.repository.staleApplying(stale)) {
      const versions = await this.#deps.repository.versionsOf(id);
      const outcome: ChangeOutcome =
        versions.length > 0
          ? { snapshotIds: versions, error: 'the process applying it stopped; its batch was completed by recovery' }
          : { code: 'CW_ERR_WRITEBACK_FAILED', error: 'the process applying it stopped before anything was written, or its batch was undone; rebase and apply it again' };
      await this.#deps.repository.update(id, ['applying'], { status: versions.length > 0 ? 'applied' : 'failed', outcome }, now);
    }
  }

  async #view(request: Stored): Promise<ChangeRequestView> {
    const reviews = await this.#deps.repository.reviews(request.id);
    const approvals = validApprovals(request, reviews).map(reviewView);
    const rejections = reviews.filter((r) => r.decision === 'reject').map(reviewView);
    return {
      id: request.id,
      status: request.status,
      riskLevel: request.riskLevel as RiskLevel,
      requiredApprovals: request.requiredApprovals,
      approvals,
      rejections,
      title: request.title,
      author: request.author,
      revision: request.revision,
      digest: request.digest,
      applyOnApproval: request.applyOnApproval,
      validate: request.validate,
      reload: request.reload,
      devices: request.devices,
      origin: request.origin,
      files: request.entries.map((e) => ({
        device: e.device,
        path: e.path,
        action: e.action,
        baseHash: e.baseHash,
        toHash: e.toHash,
        riskLevel: e.impact.riskLevel,
        impact: e.impact,
        validation: e.validation,
        ...(e.warning ? { warning: e.warning } : {}),
        diff: e.diff,
      })),
      outcome: request.outcome,
      createdAt: request.createdAt,
      updatedAt: request.updatedAt,
      expiresAt: request.expiresAt,
    };
  }

  #publish<K extends 'change.proposed' | 'change.approved' | 'change.rejected' | 'change.applied' | 'change.conflict'>(
    type: K,
    request: Stored,
    fields: Omit<import('../events/event-map.js').EventMap[K], keyof ChangeEventFields> & Partial<ChangeEventFields>,
  ): void {
    const base: ChangeEventFields = {
      requestId: request.id,
      title: request.title,
      riskLevel: request.riskLevel as RiskLevel,
      devices: [...request.devices],
      paths: request.entries.map((e) => e.path),
    };
    this.#deps.bus.publish(type, request.devices[0] ?? '', { ...base, ...fields } as unknown as import('../events/event-map.js').EventMap[K]);
  }

  #now(): string {
    return this.#clock().toISOString();
  }
}

const reviewView = (r: StoredReview): ReviewView => ({ user: r.reviewer, comment: r.comment, at: r.at });

/** Approvals that count: this revision and digest, distinct users, never the author. */
function validApprovals(request: Stored, reviews: readonly StoredReview[]): StoredReview[] {
  const seen = new Set<string>();
  return reviews.filter((r) => {
    if (r.decision !== 'approve' || r.revision !== request.revision || r.digest !== request.digest || r.reviewer === request.author || seen.has(r.reviewer)) return false;
    seen.add(r.reviewer);
    return true;
  });
}

function cleanComment(comment: string | undefined): string | null {
  const text = comment?.trim();
  return text ? text.slice(0, MAX_COMMENT) : null;
}

function stateError(request: { id: string; status: ChangeRequestStatus }, wanted: string, more = ''): ConfwatchError {
  return new ConfwatchError('CW_ERR_CHANGE_STATE', `change request ${request.id} is ${request.status} and cannot be ${wanted}${more}`, { details: { status: request.status } });
}

/** The hash approvals are bound to: every target, its new content and base hash, its mode, and whether validation runs. */
function digestOf(entries: readonly StoredEntry[], validate: boolean): string {
  return sha256Hex(JSON.stringify({ validate, entries: entries.map((e) => [e.device, e.path, e.action, e.toHash, e.baseHash, e.mode ?? null]) }));
}

const devicesOf = (entries: readonly StoredEntry[]): string[] => [...new Set(entries.map((e) => e.device))].sort();

const highest = (entries: readonly StoredEntry[]): RiskLevel => entries.reduce<RiskLevel>((level, e) => maxLevel(level, e.impact.riskLevel), 'LOW');

function defaultTitle(entries: readonly StoredEntry[]): string {
  const devices = devicesOf(entries);
  if (entries.length === 1) return `Change ${displayPath(entries[0]!.path)} on ${entries[0]!.device}`;
  return `Change ${entries.length} files on ${devices.join(', ')}`;
}

function entryImpact(impact: Impact): EntryImpact {
  return {
    riskLevel: impact.riskLevel,
    reasons: impact.reasons.map((r) => ({ rule: r.rule, level: r.level, detail: r.detail })),
    affectedServices: impact.affectedServices,
    downstreamServices: impact.downstreamServices,
    recommendedActions: impact.recommendedActions,
  };
}

/** The stored entries as the batch writes them, each expecting its base. */
function batchChanges(entries: readonly StoredEntry[]): BatchChange[] {
  return entries.map((e) => ({
    device: e.device,
    path: e.path,
    content: e.content === null ? null : Buffer.from(e.content, 'base64'),
    expectHash: e.baseHash,
    ...(e.mode !== undefined ? { mode: e.mode } : {}),
  }));
}
