/**
 * The parser seam: bytes in, data out, no I/O. One `Parser` per config type,
 * looked up in the registry (registry.ts). A parser never throws, whatever
 * the input: problems are returned as `errors` (the file is not usable as the
 * tool would read it) and `warnings` (it is, but something looks wrong).
 */

export type ConfigType = 'nginx' | 'compose' | 'systemd' | 'sshd' | 'env' | 'generic';

export const CONFIG_TYPES: readonly ConfigType[] = ['nginx', 'compose', 'systemd', 'sshd', 'env', 'generic'];

export interface ParseIssue {
  readonly message: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** 1-based column, when known. */
  readonly column?: number;
  /** The file the issue is in, when the parse followed includes. */
  readonly file?: string;
}

/**
 * Other files of the same device a parser may consult (includes, drop-ins,
 * `.env`, extended compose files). Supplied by the caller from the snapshot
 * store or the local disk; parsers never read files themselves.
 */
export interface ParseContext {
  /** The path of the file being parsed (absolute on its host). */
  readonly path?: string;
  /** Returns the bytes of another file, or undefined when it is not known. */
  readonly readFile?: (path: string) => Buffer | undefined;
  /** Lists known files matching a glob (absolute), for include globs. */
  readonly glob?: (pattern: string) => string[];
  /**
   * Where a path the config names lives on this host: container paths
   * (`/config/nginx/ssl.conf` in a SWAG proxy conf) mapped to the host
   * directory behind them. Identity when absent.
   */
  readonly resolvePath?: (path: string) => string;
  /** Extra variables for interpolation (compose), overriding `.env`. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ParseResult<T = unknown> {
  /** Parsed data (JSON-serialisable); null when nothing usable was parsed. */
  readonly data: T | null;
  readonly errors: readonly ParseIssue[];
  readonly warnings: readonly ParseIssue[];
}

export interface Parser<T = unknown> {
  readonly type: ConfigType;
  /**
   * Moves forward whenever the parser's output for the same bytes changes.
   * Each stored parse records the version that produced it, and `confwatch
   * reanalyze` redoes the ones an older version made.
   */
  readonly version: number;
  parse(bytes: Buffer, context?: ParseContext): ParseResult<T>;
}
