/**
 * Every error confwatch raises on purpose has a stable `CW_ERR_<AREA>_<WHAT>`
 * code registered here, with its HTTP status (API) and exit code (CLI).
 * Codes are public API: a retired code is never reused. `docs/errors.md`
 * lists them and a test keeps the two in step.
 */

/** Exit codes of the CLI (SPEC §6). */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
} as const;

interface ErrorSpec {
  /** HTTP status the API answers with. */
  readonly status: number;
  /** CLI exit code. */
  readonly exit: 0 | 1 | 2;
  /** What the error means, for docs/errors.md. */
  readonly doc: string;
}

const spec = (status: number, exit: 0 | 1 | 2, doc: string): ErrorSpec => ({ status, exit, doc });

export const ERROR_CODES = {
  // usage and lookup
  CW_ERR_USAGE: spec(400, 2, 'The command line or request is malformed.'),
  CW_ERR_INVALID_NAME: spec(400, 2, 'A name is not a valid slug (lowercase letters, digits, `-`, `_`, `.`; 1–63 chars).'),
  CW_ERR_NOT_FOUND: spec(404, 2, 'A named device, snapshot, plan or user does not exist.'),
  CW_ERR_ALREADY_EXISTS: spec(409, 1, 'Something with that name already exists.'),
  CW_ERR_INPUT: spec(400, 1, 'An input file (inventory, ssh config, changes file) cannot be used; the message names file and line.'),

  // configuration and home
  CW_ERR_CONFIG: spec(500, 1, 'The confwatch home, master key or environment is unusable.'),
  CW_ERR_NOT_INITIALISED: spec(500, 1, 'The confwatch home has not been initialised; run `confwatch init`.'),
  CW_ERR_DB_CONNECT: spec(500, 1, 'The database cannot be opened or reached (URL shown without its password).'),
  CW_ERR_DB_MIGRATION: spec(500, 1, 'A database migration failed.'),
  CW_ERR_CRYPTO: spec(500, 1, 'A stored blob cannot be decrypted or fails its integrity check.'),

  // transport
  CW_ERR_SSH_CONNECT: spec(502, 1, 'The host cannot be reached (refused, unreachable or timed out).'),
  CW_ERR_SSH_AUTH: spec(502, 1, 'SSH authentication failed for user@host:port.'),
  CW_ERR_SSH_HOSTKEY_MISMATCH: spec(502, 1, 'The host presented a key other than the pinned one; both fingerprints are named.'),
  CW_ERR_SSH_HOSTKEY_UNKNOWN: spec(502, 1, 'No host key is pinned; pass --host-key SHA256:… or --trust-host-key.'),
  CW_ERR_SSH_DISCONNECTED: spec(502, 1, 'The SSH connection dropped during an operation.'),
  CW_ERR_TRANSPORT_TIMEOUT: spec(504, 1, 'A remote command did not finish within its timeout.'),
  CW_ERR_REMOTE_COMMAND: spec(502, 1, 'A remote command failed; stderr is attached.'),
  CW_ERR_REMOTE_COMMAND_TOO_LARGE: spec(413, 1, 'A remote command is longer than the host accepts in one argument; nothing was run.'),
  CW_ERR_REMOTE_OUTPUT_TOO_LARGE: spec(502, 1, 'A remote command answered with more bytes than confwatch accepts; its output was dropped.'),
  CW_ERR_FILE_NOT_FOUND: spec(404, 1, 'The remote file does not exist.'),
  CW_ERR_FILE_PERMISSION: spec(403, 1, 'The remote file cannot be read or written with the device user’s rights.'),
  CW_ERR_FILE_TOO_LARGE: spec(413, 1, 'The remote file is larger than the allowed size.'),

  // watch and write-back
  CW_ERR_WATCH: spec(500, 1, 'The watcher failed; the device falls back to polling.'),
  CW_ERR_WRITEBACK_CONFLICT: spec(409, 1, 'The live file changed since the latest snapshot; re-scan or use --force.'),
  CW_ERR_WRITEBACK_INVALID: spec(422, 1, 'Validation refused the candidate content; nothing was written.'),
  CW_ERR_WRITEBACK_UNVALIDATED: spec(422, 1, 'Validation could not run in context and the profile requires it (requireValidation); nothing was written.'),
  CW_ERR_WRITEBACK_FAILED: spec(500, 1, 'A write-back failed and was rolled back.'),
  CW_ERR_WRITEBACK_REFUSED: spec(403, 1, 'A write-back was refused: a target or directory an unprivileged user controls, a link, or no backup possible.'),
  CW_ERR_WRITEBACK_OUTSIDE_PROFILE: spec(403, 1, 'The path is outside the device’s watched globs; use --force.'),
  CW_ERR_VALIDATE_OUTSIDE_PROFILE: spec(403, 1, 'Validation reads only files inside the device’s watched globs.'),
  CW_ERR_PLAN_STALE: spec(409, 1, 'Files changed after the rollback plan was made; re-plan.'),

  // API and auth
  CW_ERR_AUTH_REQUIRED: spec(401, 1, 'No valid credentials were given.'),
  CW_ERR_AUTH_FORBIDDEN: spec(403, 1, 'The credentials lack the scope the route requires.'),
  CW_ERR_AUTH_RATE_LIMITED: spec(429, 1, 'Too many login attempts; wait and retry.'),
  CW_ERR_CSRF: spec(403, 1, 'A cookie-authenticated mutation lacked a valid CSRF token.'),
  CW_ERR_BODY_TOO_LARGE: spec(413, 1, 'The request body is larger than the server accepts.'),

  // analysis
  CW_ERR_ANALYSIS_WORKER: spec(500, 1, 'An analysis worker failed to start or stopped for a reason other than its budget.'),

  // compliance
  CW_ERR_COMPLIANCE_RULE_INVALID: spec(400, 1, 'A custom compliance rule file cannot be used; the message names the file and line.'),
  CW_ERR_COMPLIANCE_RULE_BUILTIN: spec(409, 1, 'A built-in compliance rule cannot be replaced or removed; waive it instead.'),
  // alerts
  CW_ERR_ALERT_CHANNEL_URL: spec(400, 2, 'An alert channel URL has an unknown scheme or lacks a part its scheme needs (README, "Alerts").'),
  CW_ERR_ALERT_RULE: spec(400, 2, 'An alert rule names an unknown event type or risk level, or a malformed quiet-hours window.'),
  // export, import, git mirror
  CW_ERR_ARCHIVE_FORMAT: spec(422, 1, 'The file is not a confwatch archive, or one of a format version this confwatch does not read.'),
  CW_ERR_ARCHIVE_REFUSED: spec(422, 1, 'An archive entry is hostile or inconsistent (absolute or `..` path, link, device file, FIFO, NUL in its name, duplicate, over a size limit, hash or manifest mismatch); the message names it and nothing was imported.'),
  CW_ERR_ARCHIVE_PASSPHRASE: spec(422, 1, 'An encrypted archive needs its passphrase, or the one given is wrong (or the archive was altered).'),
  CW_ERR_IMPORT_CONFLICT: spec(409, 1, 'History cannot be imported under a file that already has newer versions here; the message names the file.'),
  CW_ERR_GIT: spec(500, 1, 'The git binary is missing or failed while writing the mirror; its first stderr line is attached.'),
  CW_ERR_UNAVAILABLE: spec(501, 1, 'The feature asked for is not available in this build of confwatch.'),

  // change requests
  CW_ERR_CHANGE_STATE: spec(409, 1, 'The change request is not in a status that allows this (e.g. applying one that is not approved); its status is named.'),
  CW_ERR_CHANGE_SELF_REVIEW: spec(403, 1, 'The author of a change request cannot approve or reject it; another user must.'),
  CW_ERR_CHANGE_NOT_AUTHOR: spec(403, 1, 'Only the author of a change request (or an admin) may edit, rebase or cancel it.'),
  CW_ERR_CHANGE_BREAK_GLASS: spec(403, 1, 'Break-glass apply needs an admin and a reason (--reason TEXT).'),
  CW_ERR_CHANGE_EMPTY: spec(400, 1, 'Every file of the proposal already has the proposed content; there is nothing to change.'),

  // templates
  CW_ERR_TEMPLATE_SYNTAX: spec(400, 1, 'A template body does not parse as Liquid, or uses a tag templates cannot use (`include`, `render`, `layout`); the message names line and column.'),
  CW_ERR_TEMPLATE_SCHEMA: spec(400, 1, "A template's variables schema is not a usable JSON Schema."),
  CW_ERR_TEMPLATE_VARS: spec(400, 1, "The variables given do not satisfy the template's schema; each problem names its variable."),
  CW_ERR_TEMPLATE_RENDER: spec(422, 1, 'A render failed: an undefined variable or filter, or a property templates cannot read (`constructor`, `__proto__`, …).'),
  CW_ERR_TEMPLATE_LIMIT: spec(422, 1, 'A render exceeded its budget (time, memory or 1 MiB of output) and was stopped; nothing was produced.'),
  CW_ERR_TEMPLATE_APPLY_UNAVAILABLE: spec(501, 1, 'Applying a template needs change requests, which this service was built without; render the template and use `confwatch apply`.'),
  CW_ERR_TEMPLATE_BUILTIN: spec(409, 1, 'A built-in template cannot be replaced or removed; add yours under another name.'),

  CW_ERR_INTERNAL: spec(500, 1, 'An unexpected internal error.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error type confwatch throws on purpose. `message` is a one-line,
 * human sentence that says what to do; `cause` keeps the original error.
 */
export class ConfwatchError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable facts (never secrets). */
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConfwatchError';
    this.code = code;
    if (options?.details) this.details = Object.freeze({ ...options.details });
  }

  get statusCode(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): 0 | 1 | 2 {
    return ERROR_CODES[this.code].exit;
  }
}

export const isConfwatchError = (e: unknown): e is ConfwatchError => e instanceof ConfwatchError;

/** Wraps anything thrown into a ConfwatchError, keeping the original as cause. */
export function toConfwatchError(e: unknown, fallback: ErrorCode = 'CW_ERR_INTERNAL'): ConfwatchError {
  if (e instanceof ConfwatchError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ConfwatchError(fallback, message, { cause: e });
}
