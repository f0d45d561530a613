/**
 * Writes an archive as a stream: tar (tar-stream) → gzip → optional
 * encryption → the destination. Entries are written one at a time and
 * each waits for the destination to take it, so memory stays at one
 * blob whatever the archive's size.
 */
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { ConfwatchError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { createEncryptStream } from './archive-cipher.js';
import { BLOB_PREFIX, MANIFEST_NAME, type Manifest } from './manifest.js';

export interface WriteArchiveOptions {
  /** Encrypts the archive under a key derived from it. */
  readonly passphrase?: string;
  /** Called after each blob with the blobs and bytes written so far. */
  readonly onProgress?: (done: { blobs: number; bytes: number }) => void;
  readonly signal?: AbortSignal;
}

/** Streams the manifest and every blob it lists, read one at a time with `readBlob`, into `out`. */
export async function writeArchive(
  manifest: Manifest,
  readBlob: (hash: string) => Promise<Buffer>,
  out: Writable,
  options: WriteArchiveOptions = {},
): Promise<{ blobs: number; bytes: number }> {
  const pack = tarPack();
  const stages: NodeJS.ReadWriteStream[] = [createGzip({ level: 6 })];
  if (options.passphrase !== undefined) stages.push(await createEncryptStream(options.passphrase));
  const done = pipeline([pack as unknown as NodeJS.ReadableStream, ...stages, out], options.signal ? { signal: options.signal } : {});
  const entry = (name: string, bytes: Buffer) =>
    new Promise<void>((resolve, reject) => {
      pack.entry({ name, size: bytes.length, mode: 0o600, mtime: new Date(manifest.createdAt) }, bytes, (error) => (error ? reject(error) : resolve()));
    });
  let bytes = 0;
  let blobs = 0;
  try {
    await entry(MANIFEST_NAME, Buffer.from(JSON.stringify(manifest)));
    for (const blob of manifest.blobs) {
      options.signal?.throwIfAborted();
      const content = await readBlob(blob.hash);
      if (content.length !== blob.size || sha256Hex(content) !== blob.hash) {
        throw new ConfwatchError('CW_ERR_CRYPTO', `stored content ${blob.hash.slice(0, 12)} does not match its hash; run \`confwatch keys\` checks before exporting`);
      }
      await entry(BLOB_PREFIX + blob.hash, content);
      blobs++;
      bytes += content.length;
      options.onProgress?.({ blobs, bytes });
    }
    pack.finalize();
  } catch (error) {
    pack.destroy(error as Error);
    await done.catch(() => undefined);
    throw error;
  }
  await done;
  return { blobs, bytes };
}
