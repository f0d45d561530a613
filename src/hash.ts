/**
 * Content hashing, shared by every layer. A snapshot's `contentHash` is the
 * sha256 (lowercase hex) of the exact bytes, the same value `sha256sum`
 * prints on the host, so remote listings and local captures compare
 * directly; API tokens are stored as the same digest of their text.
 */
import { createHash } from 'node:crypto';

/** sha256 hex of the exact bytes (a string is hashed as its UTF-8 bytes). */
export const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
