/**
 * The master key ring. `$CONFWATCH_HOME/master.key` (mode 0600) holds one key
 * per line as `<keyId>:<base64 of 32 bytes>`; the first line is the current
 * key, later lines are older keys still needed to read rows not yet
 * re-encrypted. `CONFWATCH_MASTER_KEY` (base64 or 64 hex characters)
 * overrides the file; its key id is derived from a hash of the key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfwatchError } from '../errors.js';

export const MASTER_KEY_FILE = 'master.key';
const KEY_BYTES = 32;

export interface MasterKey {
  /** Short stable id, stored beside every encrypted row. */
  readonly id: string;
  /** 32 bytes of AES-256 key material. */
  readonly key: Buffer;
}

export interface KeyRing {
  /** The key new rows are encrypted with. */
  readonly current: MasterKey;
  /** Where the ring came from: the environment cannot be rotated in place. */
  readonly source: 'file' | 'env';
  /** The key with that id; rejects CW_ERR_CRYPTO when the ring does not hold it. */
  get(id: string): Buffer;
  /** Every key, current first. */
  keys(): readonly MasterKey[];
  /** Makes `key` current, keeping the others readable (used during rotation). */
  promote(key: MasterKey): void;
}

/** A key id derived from the key bytes (for keys given without one). */
export const keyIdFor = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16);

/** A new random key. */
export function generateMasterKey(): MasterKey {
  const key = randomBytes(KEY_BYTES);
  return { id: keyIdFor(key), key };
}

/**
 * How often a file-backed ring looks at master.key again. A rotation run by
 * another process waits longer than this after making its new key current,
 * so every running process seals new rows with the new key before the
 * rotation starts re-sealing.
 */
export const KEY_FILE_RECHECK_MS = 1000;

/**
 * Builds a ring from keys, the first being current. With `reload` (the key
 * file), the ring picks up a new current key within KEY_FILE_RECHECK_MS and
 * reloads at once when asked for a key it does not hold; keys it has seen
 * stay readable for the life of the process.
 */
export function createKeyRing(
  keys: readonly MasterKey[],
  source: KeyRing['source'],
  reload?: { readonly version: () => string; readonly read: () => readonly MasterKey[] },
): KeyRing {
  if (keys.length === 0) throw new ConfwatchError('CW_ERR_CONFIG', 'The master key ring is empty.');
  let ordered = [...keys];
  let version = reload?.version();
  let checkedAt = Date.now();
  const merge = (fresh: readonly MasterKey[]) => {
    ordered = [...fresh, ...ordered.filter((k) => !fresh.some((f) => f.id === k.id))];
  };
  const refresh = (force: boolean) => {
    if (!reload || (!force && Date.now() - checkedAt < KEY_FILE_RECHECK_MS)) return;
    checkedAt = Date.now();
    const seen = reload.version();
    if (seen === version) return;
    version = seen;
    merge(reload.read());
  };
  const find = (id: string) => ordered.find((k) => k.id === id);
  return {
    source,
    get current() {
      refresh(false);
      return ordered[0]!;
    },
    get(id) {
      if (!find(id)) refresh(true);
      const found = find(id);
      if (!found) {
        throw new ConfwatchError('CW_ERR_CRYPTO', `Master key ${id} is not in the key ring; restore the key file that holds it.`);
      }
      return found.key;
    },
    keys: () => ordered,
    promote(key) {
      merge([key]);
    },
  };
}

/** Loads the ring from `CONFWATCH_MASTER_KEY` or `<home>/master.key`; CW_ERR_NOT_INITIALISED when neither exists. */
export function loadKeyRing(home: string, env: NodeJS.ProcessEnv = process.env): KeyRing {
  const fromEnv = env.CONFWATCH_MASTER_KEY;
  if (fromEnv !== undefined && fromEnv.trim() !== '') {
    const key = parseKeyMaterial(fromEnv.trim(), 'CONFWATCH_MASTER_KEY');
    return createKeyRing([{ id: keyIdFor(key), key }], 'env');
  }
  const file = join(home, MASTER_KEY_FILE);
  if (!existsSync(file)) {
    throw new ConfwatchError('CW_ERR_NOT_INITIALISED', `No master key at ${file}; run \`confwatch init\` or set CONFWATCH_MASTER_KEY.`);
  }
  const read = () => parseKeyFile(readFileSync(file, 'utf8'), file);
  const version = () => {
    const stat = statSync(file, { throwIfNoEntry: false });
    return stat ? `${stat.ino}:${stat.mtimeMs}:${stat.size}` : 'missing';
  };
  return createKeyRing(read(), 'file', { version, read });
}

/** Creates `<home>/master.key` with one new key; never overwrites. Returns false when it already existed. */
export function createMasterKeyFile(home: string): boolean {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const file = join(home, MASTER_KEY_FILE);
  try {
    writeFileSync(file, formatKeyFile([generateMasterKey()]), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new ConfwatchError('CW_ERR_CONFIG', `Cannot create ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Replaces the key file atomically (temp file, rename), mode 0600. */
export function writeKeyFile(home: string, keys: readonly MasterKey[]): void {
  const file = join(home, MASTER_KEY_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, formatKeyFile(keys), { mode: 0o600 });
  renameSync(temp, file);
}

const formatKeyFile = (keys: readonly MasterKey[]): string =>
  keys.map((k) => `${k.id}:${k.key.toString('base64')}\n`).join('');

function parseKeyFile(text: string, file: string): MasterKey[] {
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line !== '' && !line.startsWith('#'))
    .map(({ line, number }) => {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ConfwatchError('CW_ERR_CONFIG', `${file}:${number}: expected <keyId>:<base64 key>.`);
      return { id: line.slice(0, colon), key: parseKeyMaterial(line.slice(colon + 1), `${file}:${number}`) };
    });
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function parseKeyMaterial(text: string, where: string): Buffer {
  const key = HEX_KEY.test(text) ? Buffer.from(text, 'hex') : BASE64.test(text) ? Buffer.from(text, 'base64') : undefined;
  if (key?.length !== KEY_BYTES) {
    throw new ConfwatchError('CW_ERR_CONFIG', `${where}: a master key must be 32 bytes as base64 or 64 hex characters.`);
  }
  return key;
}
