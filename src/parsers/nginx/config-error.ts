/**
 * An error found while reading an nginx config, worded as crossplane words
 * it: `<reason> in <file>:<line>` (or `<reason> in <file>` without a line).
 * Thrown only inside the nginx parser and always caught there.
 */
export class NginxConfigError extends Error {
  /** The reason alone, without file and line. */
  readonly reason: string;
  /** 1-based line, or null when crossplane reports none. */
  readonly line: number | null;

  constructor(reason: string, fileLabel: string, line: number | null) {
    super(line === null ? `${reason} in ${fileLabel}` : `${reason} in ${fileLabel}:${line}`);
    this.name = 'NginxConfigError';
    this.reason = reason;
    this.line = line;
  }
}

/** How crossplane names a file it does not know (Python's `None`). */
export const UNKNOWN_FILE_LABEL = 'None';
