/**
 * Compression of file versions before encryption. A version is stored either
 * `full` (raw deflate, level 9) or as a `delta` against an earlier version of
 * the same file, whichever is smaller.
 *
 * The delta trims the bytes both versions share at the start and at the end,
 * then deflates the changed middle with the surrounding old bytes as a preset
 * dictionary. zlib only looks at the last 32 KiB of a dictionary, so taking
 * the window around the change (instead of the whole previous version) keeps
 * deltas small for files of any size. Layout:
 * `varint prefixLength | varint suffixLength | deflated middle`.
 *
 * Compression runs in libuv's thread pool (zlib's callback API), not on the
 * event loop: deflating a 1 MiB version at level 9 would otherwise stall
 * the API and every other device's capture for its whole duration.
 */
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw, type ZlibOptions } from 'node:zlib';

const deflate = promisify<Uint8Array, ZlibOptions, Buffer>(deflateRaw);
const inflate = promisify<Uint8Array, ZlibOptions, Buffer>(inflateRaw);

export type BlobEncoding = 'full' | 'delta';

/** How one version is stored. */
export interface EncodedBlob {
  readonly encoding: BlobEncoding;
  readonly bytes: Buffer;
}

const LEVEL = 9;
const DICTIONARY_BYTES = 32 * 1024;
/** Old bytes after the change that the dictionary window still covers. */
const DICTIONARY_LOOKAHEAD = 8 * 1024;

/** Raw deflate of a whole version. */
const encodeFull = (content: Uint8Array): Promise<Buffer> => deflate(content, { level: LEVEL });

/** Encodes `content` relative to `base`, or in full when that is smaller. */
export async function encodeBlob(content: Uint8Array, base?: Uint8Array): Promise<EncodedBlob> {
  if (!base) return { encoding: 'full', bytes: await encodeFull(content) };
  const delta = await encodeDelta(content, base);
  // Deflate rarely shrinks text below a tenth: a delta that small wins without compressing in full.
  if (delta.length * 10 < content.length) return { encoding: 'delta', bytes: delta };
  const full = await encodeFull(content);
  return delta.length < full.length ? { encoding: 'delta', bytes: delta } : { encoding: 'full', bytes: full };
}

/** Restores the exact bytes; `base` is required for a delta. */
export async function decodeBlob(blob: EncodedBlob, base?: Uint8Array): Promise<Buffer> {
  if (blob.encoding === 'full') return inflate(blob.bytes, {});
  if (!base) throw new Error('a delta blob needs its base version');
  return decodeDelta(blob.bytes, base);
}

async function encodeDelta(content: Uint8Array, base: Uint8Array): Promise<Buffer> {
  const prefix = commonPrefix(content, base);
  const suffix = commonSuffix(content, base, prefix);
  const middle = content.subarray(prefix, content.length - suffix);
  const header = Buffer.concat([varint(prefix), varint(suffix)]);
  return Buffer.concat([header, await deflate(middle, deflateOptions(base, prefix, suffix))]);
}

async function decodeDelta(delta: Buffer, base: Uint8Array): Promise<Buffer> {
  const [prefix, afterPrefix] = readVarint(delta, 0);
  const [suffix, bodyStart] = readVarint(delta, afterPrefix);
  if (prefix + suffix > base.length) throw new Error('delta does not fit its base version');
  const middle = await inflate(delta.subarray(bodyStart), deflateOptions(base, prefix, suffix));
  return Buffer.concat([base.subarray(0, prefix), middle, base.subarray(base.length - suffix)]);
}

/** The old bytes around the changed region, at most 32 KiB, ending a little past it. */
function deflateOptions(base: Uint8Array, prefix: number, suffix: number): { level: number; dictionary?: Buffer } {
  const changeEnd = base.length - suffix;
  const end = Math.min(base.length, Math.max(changeEnd, prefix) + DICTIONARY_LOOKAHEAD);
  const start = Math.max(0, end - DICTIONARY_BYTES);
  if (end === start) return { level: LEVEL };
  return { level: LEVEL, dictionary: Buffer.from(base.buffer, base.byteOffset + start, end - start) };
}

/**
 * Bytes compared at once (natively, by Buffer.compare) before single
 * bytes: a version of a 1 MiB file differing in its first line shares a
 * megabyte of tail, which a byte loop walks on the event loop.
 */
const BLOCK = 4096;

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const max = Math.min(a.length, b.length);
  let i = 0;
  while (i + BLOCK <= max && Buffer.compare(a.subarray(i, i + BLOCK), b.subarray(i, i + BLOCK)) === 0) i += BLOCK;
  while (i < max && a[i] === b[i]) i++;
  return i;
}

/** Shared tail length, never overlapping the shared head of either input. */
function commonSuffix(a: Uint8Array, b: Uint8Array, prefix: number): number {
  const max = Math.min(a.length, b.length) - prefix;
  const tail = (bytes: Uint8Array, from: number) => bytes.subarray(bytes.length - from - BLOCK, bytes.length - from);
  let i = 0;
  while (i + BLOCK <= max && Buffer.compare(tail(a, i), tail(b, i)) === 0) i += BLOCK;
  while (i < max && a[a.length - 1 - i] === b[b.length - 1 - i]) i++;
  return i;
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Buffer.from(out);
}

function readVarint(bytes: Buffer, offset: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i + 1];
    scale *= 0x80;
  }
  throw new Error('truncated delta header');
}
