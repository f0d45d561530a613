/**
 * The version history (timeline) of one tracked file, newest first, paged
 * by the store's opaque cursor. Each version carries the risk level the
 * impact analysis stored for it, when there is one.
 */
import { ConfwatchError } from '../errors.js';
import type { ChangeType, SnapshotSource } from '../events/event-map.js';
import type { SnapshotRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { RemotePath } from '../transport/remote-path.js';

export interface FileVersion {
  readonly id: string;
  readonly contentHash: string | null;
  readonly size: number | null;
  readonly detectedAt: string;
  readonly changeType: ChangeType;
  readonly source: SnapshotSource;
  readonly actor: string | null;
  readonly changeSetId: string | null;
  /** The change request this version was written for (source `change-request`); null otherwise. */
  readonly changeRequestId: string | null;
  /** Risk level from the stored impact (`LOW` … `CRITICAL`); null before analysis. */
  readonly risk: string | null;
}

export interface FileHistory {
  readonly device: string;
  readonly path: RemotePath;
  readonly versions: FileVersion[];
  /** Cursor of the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

export const DEFAULT_HISTORY_LIMIT = 50;
export const MAX_HISTORY_LIMIT = 500;

export class HistoryService {
  readonly #store: Pick<SnapshotStore, 'getDevice' | 'history'>;

  constructor(store: Pick<SnapshotStore, 'getDevice' | 'history'>) {
    this.#store = store;
  }

  /**
   * One page of a file's versions, newest first. Unknown device →
   * CW_ERR_NOT_FOUND; a cursor not issued for this file → CW_ERR_USAGE.
   */
  async history(device: string, path: RemotePath, options: { cursor?: string | null; limit?: number } = {}): Promise<FileHistory> {
    if (!(await this.#store.getDevice(device))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown device "${device}"; see \`confwatch device list\``);
    const limit = Math.min(Math.max(options.limit ?? DEFAULT_HISTORY_LIMIT, 1), MAX_HISTORY_LIMIT);
    const storeCursor = options.cursor ? decodeCursor(options.cursor, device, path) : null;
    const page = await this.#store.history(device, path, { limit, cursor: storeCursor });
    return {
      device,
      path,
      versions: page.items.map(toVersion),
      nextCursor: page.nextCursor === null ? null : encodeCursor(device, path, page.nextCursor),
    };
  }
}

/*
 * Cursors handed out wrap the store's cursor with the file they page
 * through, so a forged, mangled or other file's cursor is refused as bad
 * input instead of silently paging the wrong thing.
 */
const encodeCursor = (device: string, path: RemotePath, cursor: string): string =>
  Buffer.from(JSON.stringify([device, path, cursor]), 'utf8').toString('base64url');

function decodeCursor(cursor: string, device: string, path: RemotePath): string {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (!Array.isArray(parts) || parts.length !== 3 || parts[0] !== device || parts[1] !== path || typeof parts[2] !== 'string') {
    throw new ConfwatchError('CW_ERR_USAGE', 'invalid cursor: pass back the nextCursor of the previous page of this file');
  }
  return parts[2];
}

export function toVersion(snapshot: SnapshotRecord): FileVersion {
  return {
    id: snapshot.id,
    contentHash: snapshot.contentHash,
    size: snapshot.size,
    detectedAt: snapshot.detectedAt,
    changeType: snapshot.changeType,
    source: snapshot.source,
    actor: snapshot.actor,
    changeSetId: snapshot.changeSetId,
    changeRequestId: snapshot.changeRequestId ?? null,
    risk: riskOf(snapshot.impact),
  };
}

/** The risk level of a stored impact (`riskLevel`, from the analysis), or null. */
export function riskOf(impact: unknown): string | null {
  if (impact === null || typeof impact !== 'object') return null;
  const level = (impact as { riskLevel?: unknown }).riskLevel;
  return typeof level === 'string' ? level : null;
}
