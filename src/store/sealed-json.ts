/**
 * Values derived from file contents (parsed trees, parse errors, impact,
 * validation output, rollback-plan diffs, batch journals, a file's last
 * error) are stored sealed, never as clear JSON: deflated, then
 * AES-256-GCM under the current master key, in a text column as
 * `cw1:<keyId>:<base64>`. The associated data names the table, column and
 * row, so a sealed value copied onto another row or column fails to open.
 * Callers pass and receive plain values; only the store sees this form.
 */
import { promisify } from 'node:util';
import { deflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { ConfwatchError } from '../errors.js';
import { open, seal } from './cipher.js';
import type { KeyRing } from './keyring.js';

export const SEALED_PREFIX = 'cw1:';

const deflate = promisify(deflateRaw);

/**
 * A value as SealedJson encrypts it: its JSON, deflated. A worker thread
 * that produced a large value (a parse tree) packs it, so the event loop
 * neither clones, serialises nor compresses it; wrapped in PackedJson, it
 * is sealed as the value itself would be.
 */
export const packJson = (value: unknown): Uint8Array => deflateRawSync(Buffer.from(JSON.stringify(value), 'utf8'));

/** A value packed by packJson, to seal as is. */
export class PackedJson {
  constructor(readonly bytes: Uint8Array) {}
}

/** Where a sealed value lives: `<table>.<column>` and the row's key values. */
export interface SealedPlace {
  readonly column: string;
  readonly row: readonly string[];
}

const associatedData = (place: SealedPlace): string => `${place.column}:${place.row.join('\u0000')}`;

/** True when a stored value is in sealed form (under any key). */
export const isSealed = (stored: string): boolean => stored.startsWith(SEALED_PREFIX);

/** The `LIKE` pattern matching values sealed under `keyId`. */
export const sealedWithPattern = (keyId: string): string => `${SEALED_PREFIX}${keyId}:%`;

export class SealedJson {
  readonly #keys: KeyRing;

  constructor(keys: KeyRing) {
    this.#keys = keys;
  }

  /** Seals `value` (or a PackedJson) as JSON for its place; null and undefined stay null. */
  seal(value: unknown, place: SealedPlace): string | null {
    if (value === null || value === undefined) return null;
    return this.#sealed(value instanceof PackedJson ? value.bytes : packJson(value), place);
  }

  /**
   * `seal` with the compression in the thread pool: for values that can be
   * large (a parsed 1 MiB file, a device's graph) on the capture path.
   */
  async sealLarge(value: unknown, place: SealedPlace): Promise<string | null> {
    if (value === null || value === undefined) return null;
    return this.#sealed(value instanceof PackedJson ? value.bytes : await deflate(Buffer.from(JSON.stringify(value), 'utf8')), place);
  }

  #sealed(deflated: Uint8Array, place: SealedPlace): string {
    const { current } = this.#keys;
    return `${SEALED_PREFIX}${current.id}:${seal(current.key, deflated, associatedData(place)).toString('base64')}`;
  }

  /**
   * Opens a stored value. A clear JSON value (written before migration
   * 0007, by an older process during an upgrade) is still read; `keys
   * rotate` seals it. Rejects CW_ERR_CRYPTO for a value that fails its
   * integrity check or names a key the ring does not hold.
   */
  open<T>(stored: string | null, place: SealedPlace): T | null {
    if (stored === null) return null;
    if (!isSealed(stored)) return parseClear(stored) as T;
    const rest = stored.slice(SEALED_PREFIX.length);
    const colon = rest.indexOf(':');
    if (colon <= 0) throw new ConfwatchError('CW_ERR_CRYPTO', `A sealed ${place.column} value is malformed and cannot be decrypted.`);
    const keyId = rest.slice(0, colon);
    const plain = open(this.#keys.get(keyId), Buffer.from(rest.slice(colon + 1), 'base64'), associatedData(place));
    return JSON.parse(inflateRawSync(plain).toString('utf8')) as T;
  }

  /** The value re-sealed under the current key (for rotation and migration). */
  reseal(stored: string, place: SealedPlace): string {
    return this.seal(this.open(stored, place), place) as string;
  }

  /** True when `stored` is already sealed under the current key. */
  isCurrent(stored: string): boolean {
    return stored.startsWith(`${SEALED_PREFIX}${this.#keys.current.id}:`);
  }
}

/** A clear value from before sealing: JSON, or bare text (a file's last error). */
export function parseClear(stored: string): unknown {
  try {
    return JSON.parse(stored);
  } catch {
    return stored;
  }
}
