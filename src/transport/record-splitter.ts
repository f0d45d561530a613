/**
 * Splits a byte stream into records on a separator byte, carrying a partial
 * record across chunk boundaries. Pure: no I/O.
 */
export class RecordSplitter {
  readonly #separator: number;
  #pending: Buffer = Buffer.alloc(0);

  /** `separator`: 'newline' (0x0a) or 'nul' (0x00). */
  constructor(separator: 'newline' | 'nul') {
    this.#separator = separator === 'nul' ? 0x00 : 0x0a;
  }

  /** Feeds a chunk; returns the records it completed (separators removed). */
  push(chunk: Buffer): Buffer[] {
    const data = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const records: Buffer[] = [];
    let start = 0;
    for (let i = data.indexOf(this.#separator); i !== -1; i = data.indexOf(this.#separator, start)) {
      records.push(data.subarray(start, i));
      start = i + 1;
    }
    // copy the tail so the (possibly large) chunk can be released
    this.#pending = Buffer.from(data.subarray(start));
    return records;
  }

  /** The unterminated tail at end of stream, if any (a last record without separator). */
  flush(): Buffer | null {
    const tail = this.#pending;
    this.#pending = Buffer.alloc(0);
    return tail.length ? tail : null;
  }
}
