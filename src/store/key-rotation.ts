/**
 * `confwatch keys rotate`: a new master key becomes current in master.key
 * while the old ones stay readable, every sealed row is re-encrypted, and
 * only then are the old keys dropped from the file. An interrupted rotation
 * leaves every key in the file, so running it again finishes the job.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ConfwatchError } from '../errors.js';
import { generateMasterKey, KEY_FILE_RECHECK_MS, type MasterKey, writeKeyFile } from './keyring.js';
import type { KyselyStore } from './kysely.store.js';

export interface RotationResult {
  /** Id of the new current key. */
  readonly keyId: string;
  /** Rows re-encrypted. */
  readonly blobs: number;
  readonly secrets: number;
  /** Sealed values derived from contents (parsed data, results, plans, journals). */
  readonly derived: number;
  /** Ids of the keys removed from master.key. */
  readonly retiredKeyIds: readonly string[];
}

/** Rotates the master key of a store opened from `home`; CW_ERR_CONFIG when the key comes from CONFWATCH_MASTER_KEY. */
export async function rotateMasterKey(
  home: string,
  store: KyselyStore,
  onProgress?: (done: number, total: number) => void,
): Promise<RotationResult> {
  const ring = store.keyRing;
  if (ring.source === 'env') {
    throw new ConfwatchError(
      'CW_ERR_CONFIG',
      'The master key comes from CONFWATCH_MASTER_KEY; unset it to rotate the key in master.key.',
    );
  }
  const previous: readonly MasterKey[] = [...ring.keys()];
  const next = generateMasterKey();
  writeKeyFile(home, [next, ...previous]);
  // Let every process sharing this home switch to the new key before re-sealing starts.
  await delay(KEY_FILE_RECHECK_MS * 1.5);
  const counts = await store.rotateKey(next, onProgress);
  writeKeyFile(home, [next]);
  return { keyId: next.id, ...counts, retiredKeyIds: previous.map((k) => k.id) };
}
