/**
 * Content hashing. A snapshot's `contentHash` is the sha256 (lowercase hex)
 * of the exact bytes, the same value `sha256sum` prints on the host, so
 * remote listings and local captures compare directly.
 */
import { createHash } from 'node:crypto';

/** sha256 hex of the exact bytes. */
export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
