/**
 * Reads an archive that may have been made by anyone. `verifyArchive`
 * reads it whole once and refuses it, naming the entry, for anything an
 * honest export never holds (absolute or `..` names, links, devices,
 * FIFOs, NUL in names, duplicate or unexpected entries, entries or a
 * total over the limits, a blob whose bytes are not its hash, a manifest
 * that does not list exactly the blobs present) before the caller writes
 * anything. `readBlobs` is the second pass, which checks each hash again.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { ConfwatchError } from '../errors.js';
import { createDecryptStream, ENCRYPTED_MAGIC } from './archive-cipher.js';
import {
  ARCHIVE_FORMAT,
  ARCHIVE_FORMAT_VERSION,
  type ArchiveLimits,
  BLOB_PREFIX,
  DEFAULT_ARCHIVE_LIMITS,
  MANIFEST_NAME,
  type Manifest,
  manifestSchema,
} from './manifest.js';

export interface ReadArchiveOptions {
  /** The passphrase of an encrypted archive. */
  readonly passphrase?: string;
  readonly limits?: Partial<ArchiveLimits>;
}

export interface VerifiedArchive {
  readonly manifest: Manifest;
  readonly encrypted: boolean;
}

const BLOB_NAME = /^blobs\/([0-9a-f]{64})$/;

const refused = (entry: string, why: string) =>
  new ConfwatchError('CW_ERR_ARCHIVE_REFUSED', `archive entry ${JSON.stringify(entry)} refused: ${why}; nothing was imported`);

/** True when the file starts with the encrypted-archive magic. */
async function isEncrypted(file: string): Promise<boolean> {
  const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new ConfwatchError('CW_ERR_INPUT', `cannot read ${file}: ${error.code ?? error.message}`);
  });
  try {
    const head = Buffer.alloc(ENCRYPTED_MAGIC.length);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.equals(ENCRYPTED_MAGIC);
  } finally {
    await handle.close();
  }
}

/** Counts the bytes the archive expands to and stops it past the limit. */
function expansionLimit(limit: number): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      total += chunk.length;
      if (total > limit) callback(refused('(whole archive)', `it expands to more than ${limit} bytes (decompression bomb?)`));
      else callback(null, chunk);
    },
  });
}

/** Called for every entry that passed the header checks, with its full bytes (blob entries after their hash check). */
type EntryVisitor = (name: string, bytes: Buffer, blobHash: string | null) => Promise<void> | void;

/** Reads every entry through the checks that do not need the manifest. */
async function walk(file: string, options: ReadArchiveOptions, visit: EntryVisitor): Promise<boolean> {
  const limits = { ...DEFAULT_ARCHIVE_LIMITS, ...options.limits };
  const encrypted = await isEncrypted(file);
  if (encrypted && options.passphrase === undefined) {
    throw new ConfwatchError('CW_ERR_ARCHIVE_PASSPHRASE', 'the archive is encrypted; give its passphrase on stdin with --passphrase-stdin');
  }
  const extract = tarExtract();
  const stages: NodeJS.ReadWriteStream[] = [];
  if (encrypted) stages.push(createDecryptStream(options.passphrase as string));
  stages.push(createGunzip(), expansionLimit(limits.maxTotalBytes));
  const feeding = pipeline([createReadStream(file), ...stages, extract as unknown as NodeJS.WritableStream]);
  const seen = new Set<string>();
  try {
    for await (const entry of extract) {
      const header = entry.header;
      const name = header.name;
      const shown = name.replaceAll('\u0000', '\\0');
      if (name.includes('\u0000') || (header.linkname ?? '').includes('\u0000')) throw refused(shown, 'its name holds a NUL byte');
      if (name.startsWith('/')) throw refused(shown, 'absolute path');
      if (name.split(/[\\/]/).includes('..')) throw refused(shown, 'path with ".."');
      if (header.type === 'symlink') throw refused(shown, `symbolic link (to ${JSON.stringify(header.linkname ?? '')})`);
      if (header.type === 'link') throw refused(shown, `hard link (to ${JSON.stringify(header.linkname ?? '')})`);
      if (header.type === 'character-device' || header.type === 'block-device') throw refused(shown, 'device file');
      if (header.type === 'fifo') throw refused(shown, 'FIFO');
      if (header.type !== 'file' && header.type !== 'contiguous-file') throw refused(shown, `entry of type ${header.type}`);
      const blob = BLOB_NAME.exec(name);
      if (name !== MANIFEST_NAME && !blob) throw refused(shown, 'not an entry a confwatch archive holds');
      if (seen.has(name)) throw refused(shown, 'duplicate entry');
      seen.add(name);
      const limit = name === MANIFEST_NAME ? limits.maxManifestBytes : limits.maxEntryBytes;
      if ((header.size ?? 0) > limit) throw refused(shown, `${header.size} bytes, over the ${limit}-byte limit`);
      const chunks: Buffer[] = [];
      let size = 0;
      const digest = createHash('sha256');
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limit) throw refused(shown, `over the ${limit}-byte limit`);
        digest.update(chunk);
        chunks.push(chunk);
      }
      const bytes = Buffer.concat(chunks);
      if (blob) {
        const actual = digest.digest('hex');
        if (actual !== blob[1]) throw refused(shown, `its bytes hash to ${actual.slice(0, 12)}…, not to its name`);
      }
      await visit(name, bytes, blob?.[1] ?? null);
    }
    await feeding;
  } catch (error) {
    extract.destroy();
    await feeding.catch(() => undefined);
    throw translate(error);
  }
  return encrypted;
}

function translate(error: unknown): unknown {
  if (error instanceof ConfwatchError) return error;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'Z_DATA_ERROR' || e?.code === 'Z_BUF_ERROR' || e?.code === 'ERR_PADDING_1') {
    return new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', `not a confwatch archive (gzip: ${e.message})`);
  }
  return new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', `not a confwatch archive (${e?.message ?? String(error)})`, { cause: error });
}

/** First pass: every check, and the manifest. Writes nothing anywhere. */
export async function verifyArchive(file: string, options: ReadArchiveOptions = {}): Promise<VerifiedArchive> {
  let manifestBytes: Buffer | null = null;
  const blobs = new Map<string, number>();
  const encrypted = await walk(file, options, (name, bytes, blobHash) => {
    if (name === MANIFEST_NAME) {
      manifestBytes = bytes;
      checkVersion(bytes);
    } else if (blobHash) blobs.set(blobHash, bytes.length);
  });
  if (!manifestBytes) throw refused(MANIFEST_NAME, 'missing');
  const manifest = parseManifest(manifestBytes);
  const listed = new Map(manifest.blobs.map((b) => [b.hash, b.size]));
  for (const [hash, size] of blobs) {
    const expected = listed.get(hash);
    if (expected === undefined) throw refused(BLOB_PREFIX + hash, 'not listed in the manifest');
    if (expected !== size) throw refused(BLOB_PREFIX + hash, `${size} bytes, the manifest says ${expected}`);
  }
  for (const hash of listed.keys()) if (!blobs.has(hash)) throw refused(BLOB_PREFIX + hash, 'listed in the manifest but missing');
  const needed = [
    ...manifest.files.filter((f) => f.hasContent && f.hash).map((f) => ({ hash: f.hash as string, what: `${f.device}:${f.path}` })),
    ...manifest.versions.filter((v) => v.hasContent && v.hash).map((v) => ({ hash: v.hash as string, what: `version ${v.id}` })),
  ];
  for (const { hash, what } of needed) if (!listed.has(hash)) throw refused(BLOB_PREFIX + hash, `${what} names it, but it is not in the archive`);
  const ids = new Set<string>();
  for (const v of manifest.versions) {
    if (ids.has(v.id)) throw refused(MANIFEST_NAME, `version ${v.id} is listed twice`);
    ids.add(v.id);
  }
  return { manifest, encrypted };
}

function checkVersion(bytes: Buffer): void {
  let head: { format?: unknown; formatVersion?: unknown };
  try {
    head = JSON.parse(bytes.toString('utf8')) as typeof head;
  } catch {
    throw refused(MANIFEST_NAME, 'not JSON');
  }
  if (head.format !== ARCHIVE_FORMAT) throw new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', 'not a confwatch archive (manifest.json names another format)');
  if (head.formatVersion !== ARCHIVE_FORMAT_VERSION) {
    throw new ConfwatchError('CW_ERR_ARCHIVE_FORMAT', `archive format version ${String(head.formatVersion)} is not supported (this confwatch reads version ${ARCHIVE_FORMAT_VERSION})`);
  }
}

function parseManifest(bytes: Buffer): Manifest {
  const parsed = manifestSchema.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw refused(MANIFEST_NAME, `${issue?.path.join('.') || 'manifest'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** Second pass: hands over the blobs `want` accepts, each checked against its hash again. */
export async function readBlobs(
  file: string,
  options: ReadArchiveOptions,
  want: (hash: string) => boolean,
  onBlob: (hash: string, bytes: Buffer) => Promise<void> | void,
): Promise<void> {
  await walk(file, options, async (_name, bytes, blobHash) => {
    if (blobHash && want(blobHash)) await onBlob(blobHash, bytes);
  });
}
