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
  readonly lines: number[] = [];
  readonly quoted: boolean[] = [];

  get length(): number {
    return this.values.length;
  }

  push(value: string, line: number, quoted: boolean): void {
    this.values.push(value);
    this.lines.push(line);
    this.quoted.push(quoted);
  }

  /** Drops every token from `index` on. */
  truncate(index: number): void {
    this.values.length = index;
    this.lines.length = index;
    this.quoted.length = index;
  }
}
