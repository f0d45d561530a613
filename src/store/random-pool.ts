/**
 * Small random values (nonces, id entropy) cut from a larger buffer of
 * cryptographically secure bytes. One `randomBytes` call per value cost
 * more than the sealing it served when thousands of versions are stored at
 * once; the bytes are the same CSPRNG output, each handed out once.
 */
import { randomBytes } from 'node:crypto';

const POOL_BYTES = 4096;

let pool = Buffer.alloc(0);
let offset = 0;

/** `size` fresh random bytes, never shared with another caller. */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomBytes(size);
  if (offset + size > pool.length) {
    // a new buffer each time: values already handed out are never overwritten
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + size);
  offset += size;
  return bytes;
}
