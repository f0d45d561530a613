/**
 * The audit target of a mutation, whatever its entry point (API, CLI,
 * background job): `key=value` pairs naming what it acted on, e.g.
 * `device=web1 path=/etc/nginx/nginx.conf batch=<id>`. Names and ids only,
 * never file contents, passwords or tokens.
 */

/** One `key=value` of an audit target; a key may repeat (one `path=` per file). */
export type AuditTargetPair = readonly [key: string, value: string];

/** Values are shown bare unless they would be ambiguous in the space-separated list. */
const auditValue = (value: string): string => (value === '' || /[\s"=]/.test(value) ? JSON.stringify(value) : value);

/** The pairs as stored; null when there are none. */
export function formatAuditTarget(pairs: readonly AuditTargetPair[]): string | null {
  return pairs.length === 0 ? null : pairs.map(([k, v]) => `${k}=${auditValue(v)}`).join(' ');
}

/** Paths named one by one in a batch's audit target; the batch id leads to the rest. */
const AUDITED_BATCH_PATHS = 50;

/**
 * A batch's files for its audit target, grouped by device in order of first
 * appearance: `device=web1 path=/a path=/b device=web2 path=/c`.
 */
export function batchAuditPairs(changes: readonly { device: string; path: string }[]): AuditTargetPair[] {
  const byDevice = new Map<string, string[]>();
  for (const { device, path } of changes.slice(0, AUDITED_BATCH_PATHS)) byDevice.set(device, [...(byDevice.get(device) ?? []), path]);
  const pairs = [...byDevice].flatMap(([device, paths]): AuditTargetPair[] => [['device', device], ...paths.map((p): AuditTargetPair => ['path', p])]);
  const omitted = changes.length - AUDITED_BATCH_PATHS;
  return omitted > 0 ? [...pairs, ['more', String(omitted)]] : pairs;
}

/** The action name of a dry run: it changes nothing, and the log says so. */
export const previewAction = (action: string): string => `${action}.preview`;
