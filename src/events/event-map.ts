/**
 * The event catalog (SPEC §5). Names are fixed public API. Every event
 * carries `type`, `id` (monotonic per bus, for replay), `device` and `at`
 * (ISO-8601 UTC) besides the fields below.
 */
import type { RemotePath } from '../transport/remote-path.js';

export type WatchMode = 'realtime' | 'polling' | 'degraded';
export type ChangeType = 'initial' | 'created' | 'modified' | 'deleted' | 'moved' | 'metadata';
export type SnapshotSource =
  | 'realtime'
  | 'poll'
  | 'rescan'
  | 'restore'
  | 'rollback'
  | 'batch'
  | 'import'
  | 'change-request';

export interface EventMap {
  'device.connected': { target: string };
  'device.disconnected': { reason: string };
  'watch.mode': { mode: WatchMode; reason: string };
  'file.event': { path: RemotePath; events: string[]; isDir: boolean };
  'config.changed': {
    path: RemotePath;
    snapshotId: string;
    contentHash: string | null;
    changeType: ChangeType;
    source: SnapshotSource;
    changeSetId: string | null;
    detectedAt: string;
    storedAt: string;
  };
  'config.changeset': { changeSetId: string; title: string; count: number; paths: RemotePath[] };
  'config.drift.detected': { path: RemotePath; status: 'drifted' | 'missing' | 'unreachable'; baselineHash: string | null; liveHash: string | null };
  'config.drift.resolved': { path: RemotePath; resolution: 'restore' | 'accept'; snapshotId: string | null };
  /**
   * The file does not pass its check; or, with `error`, a background
   * validation of a captured version could not run (tool and output empty).
   */
  'validation.failed': { path: RemotePath; snapshotId: string | null; tool: string; output: string } & Partial<FailureFields>;
  /** A stored snapshot was not analysed: it went over the analysis time or memory budget (`limit`, e.g. `10 s`, `512 MB`). */
  'analysis.skipped': { path: RemotePath; snapshotId: string; reason: 'over budget'; budget: 'time' | 'memory'; limit: string };
  'writeback.applied': { operation: string; paths: RemotePath[]; snapshotIds: string[] };
  'writeback.failed': { operation: string; paths: RemotePath[]; error: string };
  /** A stored version could not be analysed (`stage: 'analyze'`), or the device's dependency graph not rebuilt (`'graph'`, no path). */
  'analysis.failed': { path: RemotePath | null; snapshotId: string | null; stage: 'analyze' | 'graph' } & FailureFields;
  /** An automatic reconcile (`autoReconcile: restore`) failed, before or during its write-back. */
  'reconcile.failed': { path: RemotePath | null; snapshotId: string | null } & FailureFields;
  /** A capture or scan of a monitored device failed; the supervisor carries on. */
  'capture.failed': FailureFields;
  /**
   * The device's stored file contents reached its storage quota: later
   * versions are recorded with their hash and metadata only (as files over
   * maxFileBytes are) until history is pruned or the quota raised.
   */
  'storage.quota': { usedBytes: number; quotaBytes: number };
  /**
   * A compliance rule newly fails on a file: it passed, was not evaluated
   * there before, or its waiver expired (`waiverExpired`). `snapshotId` is
   * the version judged when the run followed a capture.
   */
  'compliance.failed': {
    path: RemotePath;
    rule: string;
    severity: 'low' | 'medium' | 'high' | 'critical';
    title: string;
    message: string;
    line: number | null;
    snapshotId: string | null;
    waiverExpired: boolean;
  };
  /** A rule that failed on a file passes again (or the file no longer has what it judged). */
  'compliance.passed': { path: RemotePath; rule: string; severity: 'low' | 'medium' | 'high' | 'critical'; title: string; snapshotId: string | null };
  /**
   * A change request was proposed, edited or rebased (`revision` > 1):
   * `device` is the first of `devices`. Reviewers are notified through it.
   */
  'change.proposed': ChangeEventFields & { author: string; requiredApprovals: number; status: string; revision: number };
  /** A reviewer approved; `status` is `approved` once the last required approval arrived. */
  'change.approved': ChangeEventFields & { reviewer: string; approvals: number; requiredApprovals: number; status: string };
  /** A reviewer rejected the request (any rejection rejects). */
  'change.rejected': ChangeEventFields & { reviewer: string };
  /**
   * The request was written through the batch engine. `breakGlass` is set
   * when an admin applied it without the approvals it needed (`reason`
   * says why); its alert is CRITICAL whatever the request's risk.
   */
  'change.applied': ChangeEventFields & { actor: string; author: string; approvers: string[]; snapshotIds: string[]; batchId: string; breakGlass: boolean; reason: string | null };
  /** At apply, a target no longer had the hash it was approved against: nothing was written. */
  'change.conflict': ChangeEventFields & { conflicts: { device: string; path: RemotePath; baseHash: string | null; liveHash: string | null }[] };
  /** An alert reached its channel (`event` is what raised it). */
  'alert.delivered': { deliveryId: string; channel: string; event: string; riskLevel: string; attempts: number };
  /** An alert could not be delivered and will not be retried: `error` is the receiver's answer or the network error. */
  'alert.failed': { deliveryId: string; channel: string; event: string; riskLevel: string; attempts: number; error: string };
}

/** What every change request event carries: names, hashes and the risk, never contents. */
export interface ChangeEventFields {
  requestId: string;
  title: string;
  riskLevel: 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
  devices: string[];
  paths: RemotePath[];
}

/** What a background failure tells: never file contents, only the code and its one-line message. */
export interface FailureFields {
  /** The CW_ERR_* code (CW_ERR_INTERNAL for anything unexpected). */
  code: string;
  /** One line, at most 300 characters. */
  error: string;
}

export type EventType = keyof EventMap;

export const EVENT_TYPES: readonly EventType[] = [
  'device.connected',
  'device.disconnected',
  'watch.mode',
  'file.event',
  'config.changed',
  'config.changeset',
  'config.drift.detected',
  'config.drift.resolved',
  'validation.failed',
  'analysis.skipped',
  'writeback.applied',
  'writeback.failed',
  'analysis.failed',
  'reconcile.failed',
  'capture.failed',
  'storage.quota',
  'compliance.failed',
  'compliance.passed',
  'alert.delivered',
  'alert.failed',
  'change.proposed',
  'change.approved',
  'change.rejected',
  'change.applied',
  'change.conflict',
];

/** An event as delivered: its payload plus the common envelope. */
export type ConfwatchEvent<K extends EventType = EventType> = {
  [T in K]: { type: T; id: number; device: string; at: string } & EventMap[T];
}[K];
