/** One lexed token of an nginx config. */
export interface Token {
  /** The token text, quotes removed. */
  readonly value: string;
  /** 1-based line the token starts on (the closing brace's line for Lua blocks). */
  readonly line: number;
  /** True for quoted strings and Lua bodies: never a `{`, `}`, `;` or comment. */
  readonly quoted: boolean;
}

/**
 * The tokens of a file as three parallel columns. A large file has millions
 * of tokens; one object each made the garbage collector the main cost.
 */
export class TokenColumns {
  readonly values: string[] = [];
  #lines: Int32Array;
  #quoted: Uint8Array;

  /** `capacity`: the expected number of tokens; the columns grow past it when needed. */
  constructor(capacity = 16) {
    this.#lines = new Int32Array(Math.max(capacity, 16));
    this.#quoted = new Uint8Array(Math.max(capacity, 16));
  }

  get length(): number {
    return this.values.length;
  }

  line(index: number): number {
    return this.#lines[index]!;
  }

  quoted(index: number): boolean {
    return this.#quoted[index] === 1;
  }

  push(value: string, line: number, quoted: boolean): void {
    const index = this.values.length;
    if (index === this.#lines.length) this.#grow();
    this.values.push(value);
    this.#lines[index] = line;
    this.#quoted[index] = quoted ? 1 : 0;
  }

  /** Drops every token; the line and quote columns keep their capacity. */
  clear(): void {
    this.values.length = 0;
  }

  /** Drops every token from `index` on. */
  truncate(index: number): void {
    this.values.length = index;
  }

  #grow(): void {
    const lines = new Int32Array(this.#lines.length * 2);
    lines.set(this.#lines);
    this.#lines = lines;
    const quoted = new Uint8Array(this.#quoted.length * 2);
    quoted.set(this.#quoted);
    this.#quoted = quoted;
  }
}
