/**
 * Content-addressed, deduplicated, compressed and encrypted blobs. A blob is
 * keyed by the sha256 of the exact bytes; the same bytes are stored once.
 * A version is delta-encoded against the previous version of the same file
 * when that is smaller, with chains bounded so any version decodes quickly.
 * Every function takes the executor so it can run inside a transaction.
 */
import { type Kysely, sql } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { type BlobEncoding, decodeBlob, encodeBlob } from './blob-codec.js';
import { open, seal } from './cipher.js';
import type { ContentCache } from './content-cache.js';
import type { KeyRing } from './keyring.js';
import type { BlobsTable, Database } from './tables.js';

/**
 * Longest delta chain before a full version is stored again. bench/storage.ts
 * (1,000 versions of a 20 KB file): 20 links gave 0.61x git's aggressive pack
 * but a 9 ms p99 read; 12 links give 0.91x git and about 4-5 ms p99; 8 links
 * 1.25x git for little more speed.
 */
export const MAX_CHAIN_DEPTH = 12;

interface ChainRow {
  hash: string;
  encoding: string;
  base_hash: string | null;
  key_id: string;
  data: Buffer;
}

export class BlobStore {
  readonly #keys: KeyRing;
  readonly #cache: ContentCache;

  constructor(keys: KeyRing, cache: ContentCache) {
    this.#keys = keys;
    this.#cache = cache;
  }

  /**
   * Stores `content` unless a blob with its hash exists, as a delta against
   * `previousHash` when that blob exists, its chain is short enough and the
   * delta is smaller. Returns the content hash.
   */
  async put(db: Kysely<Database>, content: Buffer, previousHash: string | null): Promise<string> {
    const batch = await this.batch(db, previousHash === null ? [sha256Hex(content)] : [sha256Hex(content), previousHash]);
    const hash = await batch.put(content, previousHash);
    await batch.flush();
    return hash;
  }

  /**
   * Starts storing the blobs of one batch of snapshots: which of `hashes`
   * (new contents, known hashes, delta bases) are stored is asked once, the
   * new blobs are encoded in memory and inserted together by `flush`.
   */
  async batch(db: Kysely<Database>, hashes: Iterable<string>): Promise<BlobBatch> {
    const depths = new Map<string, number>();
    for (const chunk of chunked([...new Set(hashes)], MAX_KEYS_PER_QUERY)) {
      const rows = await db.selectFrom('blobs').select(['hash', 'depth']).where('hash', 'in', chunk).execute();
      for (const row of rows) depths.set(row.hash, row.depth);
    }
    return new BlobBatch(this, db, depths);
  }

  /** Encodes and seals a version not stored yet (the base, when given, is already decoded). */
  async encodeRow(hash: string, content: Buffer, base: { hash: string; content: Buffer; depth: number } | undefined): Promise<BlobsTable> {
    const encoded = await encodeBlob(content, base?.content);
    const isDelta = encoded.encoding === 'delta';
    this.#cache.set(hash, content);
    return {
      hash,
      encoding: encoded.encoding,
      base_hash: isDelta ? base!.hash : null,
      depth: isDelta ? base!.depth + 1 : 0,
      size: content.length,
      key_id: this.#keys.current.id,
      data: seal(this.#keys.current.key, encoded.bytes, hash),
      created_at: new Date().toISOString(),
    };
  }

  /** True when a blob with this hash is stored. */
  async has(db: Kysely<Database>, hash: string): Promise<boolean> {
    const row = await db.selectFrom('blobs').select('hash').where('hash', '=', hash).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The exact bytes of a blob. Rejects CW_ERR_NOT_FOUND when it is not
   * stored and CW_ERR_CRYPTO when it cannot be decrypted or its bytes do
   * not hash to its name.
   */
  async read(db: Kysely<Database>, hash: string): Promise<Buffer> {
    const cached = this.#cache.get(hash);
    if (cached) return cached;
    const top = await this.#loadTop(db, hash);
    let content: Buffer | undefined = top?.base;
    let rows: ChainRow[];
    if (top) rows = [top.row];
    else {
      const chain = (await this.#loadChain(db, hash)).reverse();
      // start from the nearest base already decoded: reading a file's versions in order then costs one delta each
      let start = 0;
      for (let i = chain.length - 1; i >= 0; i--) {
        const cachedBase = this.#cache.get(chain[i]!.hash);
        if (cachedBase) {
          content = cachedBase;
          start = i + 1;
          break;
        }
      }
      rows = chain.slice(start);
    }
    for (const row of rows) {
      const encoded = { encoding: row.encoding as BlobEncoding, bytes: open(this.#keys.get(row.key_id), row.data, row.hash) };
      content = await decodeBlob(encoded, content);
      if (sha256Hex(content) !== row.hash) {
        throw new ConfwatchError('CW_ERR_CRYPTO', `Blob ${row.hash} does not match its hash; the store is damaged.`);
      }
    }
    this.#cache.set(hash, content!);
    return content!;
  }

  /** The blob alone when it needs nothing else (a full version, or a delta whose base is decoded already): one key lookup instead of the chain. */
  async #loadTop(db: Kysely<Database>, hash: string): Promise<{ row: ChainRow; base: Buffer | undefined } | undefined> {
    const row = await db.selectFrom('blobs').select(['hash', 'encoding', 'base_hash', 'key_id', 'data']).where('hash', '=', hash).executeTakeFirst();
    if (!row) return undefined;
    if (row.encoding === 'full') return { row, base: undefined };
    const base = row.base_hash === null ? undefined : this.#cache.get(row.base_hash);
    return base ? { row, base } : undefined;
  }

  /** The blob and every base down to a full version, in one query; requested blob first. */
  async #loadChain(db: Kysely<Database>, hash: string): Promise<ChainRow[]> {
    const { rows } = await sql<ChainRow & { depth: number }>`
      with recursive chain as (
        select hash, encoding, base_hash, key_id, data, depth from blobs where hash = ${hash}
        union all
        select b.hash, b.encoding, b.base_hash, b.key_id, b.data, b.depth
          from blobs b join chain c on b.hash = c.base_hash
      )
      select hash, encoding, base_hash, key_id, data, depth from chain order by depth desc`.execute(db);
    if (rows.length === 0) throw new ConfwatchError('CW_ERR_NOT_FOUND', `No stored content with hash ${hash}.`);
    const bottom = rows[rows.length - 1]!;
    if (bottom.encoding !== 'full') {
      throw new ConfwatchError('CW_ERR_CRYPTO', `Blob ${hash} has a broken delta chain; the store is damaged.`);
    }
    return rows;
  }
}

/** Bound parameters per statement: SQLite allows 32,766, PostgreSQL 65,535. */
export const MAX_PARAMETERS = 32_766;
/** Keys per `in (...)` lookup, well inside both databases' limits. */
export const MAX_KEYS_PER_QUERY = 900;

/** Splits `items` into runs of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** Rows per multi-row insert of rows with `columns` columns. */
export const rowsPerInsert = (columns: number): number => Math.max(1, Math.floor(MAX_PARAMETERS / columns));

/**
 * The blobs of one batch: blobs stored before it and blobs added to it are
 * both "known", so identical contents are encoded once and a version can be
 * the delta base of the next version of the same file in the same batch.
 */
export class BlobBatch {
  readonly #store: BlobStore;
  readonly #db: Kysely<Database>;
  /** Depth of every blob known to exist, stored or pending. */
  readonly #depths: Map<string, number>;
  /** Contents of the pending blobs: not readable from the database before flush. */
  readonly #pending = new Map<string, Buffer>();
  readonly #rows: BlobsTable[] = [];

  constructor(store: BlobStore, db: Kysely<Database>, depths: Map<string, number>) {
    this.#store = store;
    this.#db = db;
    this.#depths = depths;
  }

  /** True when the blob is stored or pending in this batch. */
  has(hash: string): boolean {
    return this.#depths.has(hash);
  }

  /** Adds `content` unless known, as a delta against `previousHash` when that pays (see BlobStore.put). */
  async put(content: Buffer, previousHash: string | null): Promise<string> {
    const hash = sha256Hex(content);
    if (this.#depths.has(hash)) return hash;
    const depth = previousHash === null ? undefined : this.#depths.get(previousHash);
    const base =
      previousHash !== null && depth !== undefined && depth + 1 <= MAX_CHAIN_DEPTH
        ? { hash: previousHash, depth, content: this.#pending.get(previousHash) ?? (await this.#store.read(this.#db, previousHash)) }
        : undefined;
    const row = await this.#store.encodeRow(hash, content, base);
    this.#rows.push(row);
    this.#pending.set(hash, content);
    this.#depths.set(hash, row.depth);
    return hash;
  }

  /** Inserts the pending blobs, bases before the deltas on them. */
  async flush(): Promise<void> {
    const columns = this.#rows[0] ? Object.keys(this.#rows[0]).length : 1;
    for (const chunk of chunked(this.#rows, rowsPerInsert(columns))) {
      await this.#db
        .insertInto('blobs')
        .values(chunk)
        .onConflict((oc) => oc.column('hash').doNothing())
        .execute();
    }
    this.#rows.length = 0;
    this.#pending.clear();
  }
}
