/**
 * AES-256-GCM sealing of stored bytes. A sealed value is
 * `nonce (12) | ciphertext | tag (16)`; the associated data binds it to its
 * identity (a blob's content hash, a secret's id), so a row copied onto
 * another row fails to open.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { ConfwatchError } from '../errors.js';
import { pooledRandomBytes } from './random-pool.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Encrypts `plaintext` under a 32-byte key with a fresh random nonce. */
export function seal(key: Buffer, plaintext: Uint8Array, associatedData: string): Buffer {
  const nonce = pooledRandomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([nonce, body, cipher.getAuthTag()]);
}

/** Decrypts a sealed value; rejects CW_ERR_CRYPTO when the key, data or associated data do not match. */
export function open(key: Buffer, sealed: Uint8Array, associatedData: string): Buffer {
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (bytes.length < NONCE_BYTES + TAG_BYTES) {
    throw new ConfwatchError('CW_ERR_CRYPTO', 'A stored value is truncated and cannot be decrypted.');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new ConfwatchError('CW_ERR_CRYPTO', 'A stored value fails its integrity check (wrong key or tampered data).', {
      cause,
    });
  }
}
