/**
 * A typed change between two versions of a config file: what the semantic
 * diff produces and the impact rules judge. Values of environment variables
 * and other secrets never appear in `detail`, only their keys.
 */
export interface Change {
  /** Dotted kind, e.g. `image.changed`, `auth.removed`, `setting.changed`. */
  readonly kind: string;
  /** Facts about the change (JSON-serialisable, secrets redacted). */
  readonly detail: Readonly<Record<string, unknown>>;
  /** The service the change belongs to, by the name the user knows (compose service, unit, server name). */
  readonly service?: string;
}

/** Builds a change, leaving `service` out when it is not known. */
export function change(kind: string, detail: Record<string, unknown> = {}, service?: string): Change {
  return service === undefined ? { kind, detail } : { kind, detail, service };
}
