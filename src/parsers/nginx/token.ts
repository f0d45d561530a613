/** One lexed token of an nginx config. */
export interface Token {
  /** The token text, quotes removed. */
  readonly value: string;
  /** 1-based line the token starts on (the closing brace's line for Lua blocks). */
  readonly line: number;
  /** True for quoted strings and Lua bodies: never a `{`, `}`, `;` or comment. */
  readonly quoted: boolean;
}
