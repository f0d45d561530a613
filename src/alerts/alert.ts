/**
 * One alert as every channel receives it (SPEC §11.1): built once from an
 * event, stored sealed in the outbox, then formatted per channel. Nothing
 * in it is file content except the diff excerpt, which is redacted before
 * it gets here.
 */
import type { RiskLevel } from '../analysis/risk-level.js';

/** The events that raise alerts; rules name them with `--event`. */
export const ALERT_EVENTS = [
  'config.changeset',
  'config.drift.detected',
  'config.drift.resolved',
  'validation.failed',
  'writeback.failed',
  'device.disconnected',
  'compliance.failed',
  'compliance.passed',
  'change.proposed',
  'change.approved',
  'change.rejected',
  'change.applied',
  'change.conflict',
] as const;

export type AlertEvent = (typeof ALERT_EVENTS)[number];

export const isAlertEvent = (value: string): value is AlertEvent => (ALERT_EVENTS as readonly string[]).includes(value);

/** What an alert is about: an event, a test message (`alert test`), or a summary of held alerts. */
export type AlertKind = AlertEvent | 'alert.test' | 'alert.summary';

export interface Alert {
  readonly event: AlertKind;
  readonly device: string;
  /** The first (or only) file; null for device-wide alerts. */
  readonly path: string | null;
  /** Every file of the change set (or the one file). */
  readonly paths: readonly string[];
  readonly riskLevel: RiskLevel;
  /** "Proxy config bulk update (12 files) on proxy — HIGH". */
  readonly title: string;
  readonly snapshotId: string | null;
  readonly changeSetId: string | null;
  /** The impact reasons in one line ("; "-separated); what happened for other events. */
  readonly summary: string;
  /** The impact reasons, one per entry. */
  readonly reasons: readonly string[];
  readonly affectedServices: readonly string[];
  readonly downstreamServices: readonly string[];
  /** Redacted unified diff excerpt; empty when there is none. */
  readonly diff: string;
  /** Where the change is shown in the UI; null without `serve --public-url`. */
  readonly link: string | null;
  /** How the change was seen (`realtime`, `poll`, `restore`, …). */
  readonly source: string | null;
  /** Who made it, when known. */
  readonly actor: string | null;
  /** PagerDuty: open (`trigger`) or close (`resolve`) the incident named by `incidentKey`. */
  readonly action: 'trigger' | 'resolve';
  /** device + path + rule: the same incident for a drift and its resolution. */
  readonly incidentKey: string;
  readonly at: string;
  /** A summary's alerts, in order. */
  readonly items?: readonly AlertItem[];
}

export interface AlertItem {
  readonly event: AlertKind;
  readonly device: string;
  readonly riskLevel: RiskLevel;
  readonly title: string;
  /** Set on a drift that was not resolved by the time the summary was sent. */
  readonly unresolved?: boolean;
}

/** What every alert must say, and the rest empty: the one place that lists an alert's defaults. */
export type AlertBasics = Pick<Alert, 'event' | 'device' | 'riskLevel' | 'title' | 'incidentKey' | 'at'> & Partial<Alert>;

/** An alert from its basics; `paths` defaults to `path`, and `path` to the first of `paths`. */
export function makeAlert(basics: AlertBasics): Alert {
  const paths = basics.paths ?? (basics.path ? [basics.path] : []);
  return {
    snapshotId: null,
    changeSetId: null,
    summary: '',
    reasons: [],
    affectedServices: [],
    downstreamServices: [],
    diff: '',
    link: null,
    source: null,
    actor: null,
    action: 'trigger',
    ...basics,
    path: basics.path ?? paths[0] ?? null,
    paths,
  };
}

/** The lines of the diff excerpt an alert carries at most. */
export const DIFF_EXCERPT_LINES = 40;

/** The first `DIFF_EXCERPT_LINES` lines of a (redacted) unified diff, with a note of what was cut. */
export function diffExcerpt(unified: string, maxLines = DIFF_EXCERPT_LINES): string {
  const lines = unified.replace(/\n$/, '').split('\n');
  if (lines.length <= maxLines) return lines.join('\n');
  return [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines`].join('\n');
}
