/**
 * What the write-back operations need, asked for as narrowly as they use
 * it: the store, the write-back repository, the event bus, a transport per
 * device and the validator.
 */
import type { OwnWrites } from '../devices/own-writes.js';
import type { WatchSet } from '../devices/watch-set.js';
import type { EventBus } from '../events/event-bus.js';
import type { DeviceRecord, ValidationResult } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { WritebackRepository } from '../store/writeback.repository.js';
import type { Transport } from '../transport/transport.js';
import type { ValidateRequest } from '../validate/validator.js';

/** Validates candidate content on the device (services' `secretHidingValidator`: validate/validator.ts `validateContent`, secret values hidden in its output). */
export type Validate = (transport: Pick<Transport, 'run'>, request: ValidateRequest) => Promise<ValidationResult>;

export interface WritebackDeps {
  readonly store: SnapshotStore;
  readonly repo: WritebackRepository;
  readonly bus: EventBus;
  /** A lease on the device's shared transport (device registry); the caller closes the lease. */
  transportFor(device: DeviceRecord): Promise<Transport>;
  /** The device's compiled watch set (device registry). */
  watchSetOf(device: string): Promise<WatchSet>;
  readonly validate: Validate;
  /** Where a batch announces the versions it is about to write, so the watcher does not store them again. Default: none. */
  readonly ownWrites?: Pick<OwnWrites, 'expect'>;
  /** How long a write lock lives when its holder crashes. Default 10 minutes. */
  readonly lockTtlMs?: number;
  /** How long a batch's lease holds unless its owner renews it (recovery waits that long). Default 60 s. */
  readonly leaseMs?: number;
  /** The instance id leases name. Default one id per process. */
  readonly instanceId?: string;
  /**
   * Largest live file a write-back reads back: backed up before a batch,
   * accepted by drift resolve, re-read by recovery. A larger one is refused
   * (before anything is written). Default 64 MiB.
   */
  readonly maxBackupBytes?: number;
}

export const DEFAULT_LOCK_TTL_MS = 10 * 60_000;
export const DEFAULT_MAX_BACKUP_BYTES = 64 * 1024 * 1024;
