/** crossplane's JSON payload shapes, which confwatch reproduces exactly. */

/** One parsed directive (or, with comments on, a `#` comment). */
export interface NginxStatement {
  /** The directive name; `#` for a comment. */
  directive: string;
  /** 1-based line the directive starts on. */
  line: number;
  /** Arguments with quotes removed (for `if`, the outer parentheses too). */
  args: string[];
  /** Multi-file mode, `include` only: indexes into `config` of the included files. */
  includes?: number[];
  /** The statements inside the block, when the directive has one. */
  block?: NginxStatement[];
  /** The comment text after `#`, for comment statements. */
  comment?: string;
}

export type NginxStatus = 'ok' | 'failed';

/** An error as listed at the top of a payload. */
export interface NginxPayloadError {
  /** The file it was found in (null inside a per-file entry). */
  file: string | null;
  /** crossplane's message, e.g. `unexpected "}" in nginx.conf:3`. */
  error: string;
  /** 1-based line, or null when crossplane reports none. */
  line: number | null;
}

/** One file of a multi-file parse. */
export interface NginxFilePayload {
  file: string;
  status: NginxStatus;
  errors: NginxPayloadError[];
  parsed: NginxStatement[];
}

/** Single-file mode (`single=True`), as in `corpus/nginx-expected/`. */
export interface NginxSinglePayload {
  status: NginxStatus;
  errors: NginxPayloadError[];
  parsed: NginxStatement[];
}

/** Multi-file mode: the main file first, then every included file once. */
export interface NginxMultiPayload {
  status: NginxStatus;
  errors: NginxPayloadError[];
  config: NginxFilePayload[];
}
