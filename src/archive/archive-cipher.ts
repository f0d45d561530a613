/**
 * Passphrase encryption of an archive, as a stream so that an encrypted
 * export stays as flat in memory as a plain one.
 *
 * Layout: the magic line `CWARC-ENC1`, one JSON header line saying how it
 * is encrypted (AES-256-GCM, key from scrypt with its parameters and salt,
 * nonce prefix, frame size), then frames of `u32 length ‖ ciphertext ‖ tag`.
 * Each frame's nonce is the prefix and its counter; its associated data is
 * the header line, the counter and a final flag, so frames cannot be
 * reordered, dropped, moved between archives or cut off after the last.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ConfwatchError } from '../errors.js';

export const ENCRYPTED_MAGIC = Buffer.from('CWARC-ENC1\n');
const FRAME_BYTES = 64 * 1024;
const TAG_BYTES = 16;
const MAX_HEADER_BYTES = 4096;
/** scrypt cost: 2^15 × 8 × 128 B = 32 MiB of memory per derivation. */
const SCRYPT = { N: 32768, r: 8, p: 1 } as const;

interface CipherHeader {
  readonly cipher: 'aes-256-gcm';
  readonly kdf: 'scrypt';
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: string;
  readonly noncePrefix: string;
  readonly frameBytes: number;
}

function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase, salt, 32, { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

const frameNonce = (prefix: Buffer, counter: number): Buffer => {
  const nonce = Buffer.alloc(12);
  prefix.copy(nonce, 0, 0, 8);
  nonce.writeUInt32BE(counter, 8);
  return nonce;
};

const frameAad = (headerLine: Buffer, counter: number, final: boolean): Buffer => {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(counter, 0);
  tail[4] = final ? 1 : 0;
  return Buffer.concat([headerLine, tail]);
};

/** A stream that encrypts what is written to it under a key derived from the passphrase. */
export async function createEncryptStream(passphrase: string): Promise<Transform> {
  const salt = randomBytes(16);
  const prefix = randomBytes(8);
  const key = await deriveKey(passphrase, salt, SCRYPT);
  const header: CipherHeader = { cipher: 'aes-256-gcm', kdf: 'scrypt', ...SCRYPT, salt: salt.toString('base64'), noncePrefix: prefix.toString('base64'), frameBytes: FRAME_BYTES };
  const headerLine = Buffer.from(`${JSON.stringify(header)}\n`);
  let counter = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const seal = (plain: Buffer, final: boolean): Buffer => {
    const cipher = createCipheriv('aes-256-gcm', key, frameNonce(prefix, counter));
    cipher.setAAD(frameAad(headerLine, counter, final));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(plain.length, 0);
    counter++;
    return Buffer.concat([length, body, cipher.getAuthTag()]);
  };
  let started = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (!started) {
        started = true;
        this.push(Buffer.concat([ENCRYPTED_MAGIC, headerLine]));
      }
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes > FRAME_BYTES) {
        let all = Buffer.concat(pending);
        // keep the last frame back: only the stream's end knows which one is final
        while (all.length > FRAME_BYTES) {
          this.push(seal(all.subarray(0, FRAME_BYTES), false));
          all = all.subarray(FRAME_BYTES);
        }
        pending = [all];
        pendingBytes = all.length;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      if (!started) this.push(Buffer.concat([ENCRYPTED_MAGIC, headerLine]));
      this.push(seal(Buffer.concat(pending), true));
      callback();
    },
  });
}

const passphraseError = () =>
  new ConfwatchError('CW_ERR_ARCHIVE_PASSPHRASE', 'the archive cannot be decrypted: wrong passphrase, or the archive was altered');

/** A stream that decrypts an encrypted archive; fails CW_ERR_ARCHIVE_PASSPHRASE on a wrong passphrase or any altered byte. */
export function createDecryptStream(passphrase: string): Transform {
  let buffered: Buffer = Buffer.alloc(0);
  let headerLine: Buffer | null = null;
  let key: Buffer | null = null;
  let prefix: Buffer | null = null;
  let frameBytes = FRAME_BYTES;
  let counter = 0;
  let finished = false;

  const readHeader = async (): Promise<boolean> => {
    if (buffered.length < ENCRYPTED_MAGIC.length) return false;
    if (!buffered.subarray(0, ENCRYPTED_MAGIC.length).equals(ENCRYPTED_MAGIC)) {
      throw new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', 'not an encrypted confwatch archive');
    }
    const end = buffered.indexOf(0x0a, ENCRYPTED_MAGIC.length);
    if (end < 0) {
      if (buffered.length > MAX_HEADER_BYTES) throw new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', 'the encryption header is malformed');
      return false;
    }
    headerLine = buffered.subarray(ENCRYPTED_MAGIC.length, end + 1);
    let header: CipherHeader;
    try {
      header = JSON.parse(headerLine.toString('utf8')) as CipherHeader;
    } catch {
      throw new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', 'the encryption header is malformed');
    }
    const sane =
      header.cipher === 'aes-256-gcm' &&
      header.kdf === 'scrypt' &&
      Number.isInteger(header.N) && header.N >= 1024 && header.N <= 1048576 &&
      Number.isInteger(header.r) && header.r >= 1 && header.r <= 32 &&
      Number.isInteger(header.p) && header.p >= 1 && header.p <= 16 &&
      Number.isInteger(header.frameBytes) && header.frameBytes >= 1 && header.frameBytes <= 16 * 1024 * 1024;
    if (!sane) throw new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', `unsupported encryption header (${header.cipher ?? '?'} / ${header.kdf ?? '?'})`);
    frameBytes = header.frameBytes;
    prefix = Buffer.from(header.noncePrefix, 'base64');
    key = await deriveKey(passphrase, Buffer.from(header.salt, 'base64'), header);
    buffered = buffered.subarray(end + 1);
    return true;
  };

  const readFrames = (push: (b: Buffer) => void): void => {
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (length > frameBytes) throw passphraseError();
      const total = 4 + length + TAG_BYTES;
      if (buffered.length < total) return;
      if (finished) throw passphraseError();
      const body = buffered.subarray(4, 4 + length);
      const tag = buffered.subarray(4 + length, total);
      buffered = buffered.subarray(total);
      // the final flag is not sent: a frame is final when it authenticates as final
      const plain = openFrame(body, tag, true) ?? openFrame(body, tag, false);
      if (!plain) throw passphraseError();
      if (plain.final) finished = true;
      counter++;
      push(plain.bytes);
    }
  };

  const openFrame = (body: Buffer, tag: Buffer, final: boolean): { bytes: Buffer; final: boolean } | null => {
    const decipher = createDecipheriv('aes-256-gcm', key as Buffer, frameNonce(prefix as Buffer, counter));
    decipher.setAAD(frameAad(headerLine as Buffer, counter, final));
    decipher.setAuthTag(tag);
    try {
      return { bytes: Buffer.concat([decipher.update(body), decipher.final()]), final };
    } catch {
      return null;
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      (async () => {
        if (!key && !(await readHeader())) return;
        readFrames((b) => this.push(b));
      })().then(() => callback(), (error: unknown) => callback(error as Error));
    },
    flush(callback: TransformCallback) {
      if (!finished || buffered.length > 0) callback(key ? passphraseError() : new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', 'the encrypted archive is truncated'));
      else callback();
    },
  });
}
