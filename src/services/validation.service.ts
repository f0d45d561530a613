/**
 * `confwatch validate` and the API's validation: candidate content (or the
 * live file) checked on the device with the real tool, falling back to
 * local checks. When the checked bytes are the file's latest stored
 * version, the result is stored on that snapshot and the tracked file.
 */
import { hideValues, secretValues } from '../auth/redact.js';
import type { DeviceRegistry } from '../devices/device-registry.js';
import type { WatchSet } from '../devices/watch-set.js';
import { ConfwatchError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import { reportFailure } from '../events/failure.js';
import { createLogger, type Logger } from '../logging.js';
import { sha256Hex } from '../hash.js';
import type { SnapshotRecord, ValidationResult } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { mappingsFor } from '../transport/path-mapping.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import { validateContent } from '../validate/validator.js';
import { readLive, scopeOf } from '../writeback/live-state.js';
import { DEFAULT_MAX_BACKUP_BYTES, type Validate } from '../writeback/writeback-deps.js';

export interface FileValidation extends ValidationResult {
  readonly device: string;
  readonly path: RemotePath;
  readonly configType: string;
  /** sha256 of the validated bytes. */
  readonly contentHash: string;
  /** True when the result was stored on the latest snapshot and the tracked file. */
  readonly recorded: boolean;
}

/** Stored bytes of a device's other files read for their secret values, at most, per validation. */
const MAX_SECRET_SOURCE_BYTES = 16 * 1024 * 1024;

/**
 * `validateContent` for every caller (this service and write-back). A
 * tool quotes the files it reads in its own words (`unknown directive
 * "DB_PASSWORD=…"`), the candidate or another file of its tree (nginx -t
 * stops at the first error of the whole configuration, compose config
 * prints values from `.env` files), so the values redaction hides in the
 * candidate and in the device's stored files of the same type and `.env`
 * files are replaced in the output before it is stored, published, put in
 * an error or a file's last error, or shown to anyone.
 */
export function secretHidingValidator(store: Pick<SnapshotStore, 'listTrackedFiles' | 'readContent'>): Validate {
  return async (transport, request) => {
    const result = await validateContent(transport, request);
    const secrets = new Set(secretValues(request.content));
    if (request.device !== undefined && result.output !== '') {
      const sources = (await store.listTrackedFiles(request.device)).filter(
        (t) => !t.deleted && t.contentHash !== null && t.path !== request.path && (t.configType === request.type || t.configType === 'env'),
      );
      let bytes = 0;
      for (const t of sources) {
        const content = await store.readContent({ contentHash: t.contentHash }).catch(() => undefined);
        if (!content || bytes + content.length > MAX_SECRET_SOURCE_BYTES) continue;
        bytes += content.length;
        for (const value of secretValues(content)) secrets.add(value);
      }
    }
    if (secrets.size === 0) return result;
    return { ...result, output: hideValues(result.output, [...secrets].sort((a, b) => b.length - a.length)) };
  };
}

/** Background validations of captured versions running at once. */
const CAPTURE_VALIDATION_CONCURRENCY = 2;

export class ValidationService {
  readonly #store: SnapshotStore;
  readonly #devices: DeviceRegistry;
  readonly #bus: EventBus;
  readonly #log: Logger;
  readonly #validate: Validate;
  readonly #pending: SnapshotRecord[] = [];
  #running = 0;

  /** `log` (default: the `validation` logger) gets one line per background validation that could not run. */
  constructor(store: SnapshotStore, devices: DeviceRegistry, bus: EventBus, log: Logger = createLogger('validation')) {
    this.#store = store;
    this.#devices = devices;
    this.#bus = bus;
    this.#log = log;
    this.#validate = secretHidingValidator(store);
  }

  /**
   * Validates `content`, or the live file when omitted. Only files inside
   * the device's watched globs: validation reads the live file and the tree
   * around it, often as root, so it must not become a way to read others.
   */
  async validate(deviceName: string, path: RemotePath, content?: Buffer): Promise<FileValidation> {
    const { device, watchSet } = await this.#devices.get(deviceName);
    const profile = watchSet.match(path)?.profile;
    if (!profile) {
      throw new ConfwatchError('CW_ERR_VALIDATE_OUTSIDE_PROFILE', `${displayPath(path)} is outside the watched globs of ${device.name}; only watched files are validated`);
    }
    const transport = await this.#devices.acquire(device.name);
    try {
      // read as capture reads it: a link is not followed out of the watched files, nor a directory link below a root
      const bytes = content ?? (await readLive(transport, path, DEFAULT_MAX_BACKUP_BYTES, { sudo: device.sudo, scope: scopeOf(watchSet) }));
      const tracked = await this.#store.getTrackedFile(device.name, path);
      const configType = tracked?.configType ?? watchSet.configTypeFor(path, bytes);
      const result = await this.#validate(transport, {
        device: device.name,
        type: configType,
        path,
        content: bytes,
        command: profile.validateCommand ?? null,
        sudo: device.sudo,
        mappings: mappingsFor(device, [profile]),
      });
      const contentHash = sha256Hex(bytes);
      const recorded = await this.#record(device.name, path, contentHash, result);
      return { device: device.name, path, configType, contentHash, recorded, ...result };
    } catch (error) {
      if (error instanceof ConfwatchError) throw error;
      throw new ConfwatchError('CW_ERR_REMOTE_COMMAND', `validation of ${path} on ${deviceName} failed: ${(error as Error).message}`, { cause: error });
    } finally {
      await transport.close();
    }
  }

  /**
   * Queues captured versions whose profile asks for validation on capture
   * (`validateOnCapture`); at most two run at once, off the capture path.
   * Never rejects: a validation that cannot run is reported as
   * `validation.failed` with `error` (and a log line).
   */
  async enqueueCaptured(records: readonly SnapshotRecord[]): Promise<void> {
    for (const device of new Set(records.map((r) => r.device))) {
      let watchSet: WatchSet;
      try {
        watchSet = await this.#devices.watchSet(device);
      } catch (error) {
        const first = records.find((r) => r.device === device)!;
        this.#reportFailure(device, first.path, null, error);
        continue;
      }
      if (!watchSet.profiles.some((p) => p.validateOnCapture)) continue;
      for (const record of records) {
        if (record.device === device && record.hasContent && watchSet.match(record.path)?.profile.validateOnCapture) this.#pending.push(record);
      }
    }
    this.#drain();
  }

  /** Resolves once every queued background validation has finished. */
  async idle(): Promise<void> {
    while (this.#running > 0 || this.#pending.length > 0) await new Promise((r) => setTimeout(r, 20));
  }

  #drain(): void {
    while (this.#running < CAPTURE_VALIDATION_CONCURRENCY && this.#pending.length > 0) {
      const record = this.#pending.shift() as SnapshotRecord;
      this.#running++;
      this.#store
        .readContent(record)
        .then((content) => this.validate(record.device, record.path, content))
        .catch((error: unknown) => this.#reportFailure(record.device, record.path, record.id, error))
        .finally(() => {
          this.#running--;
          this.#drain();
        });
    }
  }

  #reportFailure(device: string, path: RemotePath, snapshotId: string | null, error: unknown): void {
    reportFailure({ bus: this.#bus, log: this.#log }, 'validation.failed', device, { path, snapshotId, tool: '', output: '' }, error);
  }

  async #record(device: string, path: RemotePath, hash: string, result: ValidationResult): Promise<boolean> {
    const tracked = await this.#store.getTrackedFile(device, path);
    if (!tracked?.latestSnapshotId || tracked.contentHash !== hash) return false;
    await this.#store.annotateSnapshot(tracked.latestSnapshotId, { validation: result });
    await this.#store.updateTrackedFile(device, path, { validationStatus: result.status, lastCheckedAt: new Date().toISOString() });
    if (result.status === 'invalid') {
      this.#bus.publish('validation.failed', device, { path, snapshotId: tracked.latestSnapshotId, tool: result.tool, output: result.output });
    }
    return true;
  }
}
