/**
 * Appends audit entries (who, what, target, client address, result) through
 * the store's append-only `appendAudit`. There is deliberately no update or
 * delete anywhere in this path.
 */
import type { Logger } from '../logging.js';
import type { AuditRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';

export type AuditEntry = Omit<AuditRecord, 'id' | 'at'>;

export class AuditRecorder {
  readonly #store: Pick<SnapshotStore, 'appendAudit'>;
  readonly #log: Logger | undefined;

  constructor(store: Pick<SnapshotStore, 'appendAudit'>, log?: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /**
   * Appends one entry. A failing write is logged and rethrown: an action
   * that cannot be audited must not look successful.
   */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.#store.appendAudit(entry);
    } catch (error) {
      this.#log?.error({ err: error, action: entry.action }, 'audit entry could not be written');
      throw error;
    }
  }
}
