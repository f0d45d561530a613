/**
 * A small least-recently-used cache of decoded file versions, bounded in
 * bytes. Recording a new version needs the previous one as its delta base;
 * keeping recent versions here saves decoding their delta chains again.
 */
export class ContentCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  /** `maxBytes` 0 disables caching. */
  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** The cached bytes for a hash, marking them recently used. */
  get(hash: string): Buffer | undefined {
    const found = this.#entries.get(hash);
    if (found) {
      this.#entries.delete(hash);
      this.#entries.set(hash, found);
    }
    return found;
  }

  /** Caches bytes unless they alone exceed the bound; evicts the oldest entries. */
  set(hash: string, content: Buffer): void {
    if (content.length > this.#maxBytes / 4 || this.#entries.has(hash)) return;
    this.#entries.set(hash, content);
    this.#bytes += content.length;
    for (const [oldest, bytes] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= bytes.length;
    }
  }
}
