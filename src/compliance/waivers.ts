/**
 * Waivers: a failing rule on a device (or one of its files) accepted for a
 * reason, until an expiry. A failure under a live waiver is `waived`; once
 * the waiver has expired it fails again and its message says so.
 */
import type { RuleOutcome } from './rule.js';

export interface Waiver {
  readonly rule: string;
  readonly device: string;
  /** Null: every file of the device. */
  readonly path: string | null;
  readonly reason: string;
  /** ISO time; null: no expiry. */
  readonly expiresAt: string | null;
  readonly createdBy: string;
}

/** How a failure whose waiver ran out starts its message. */
export const WAIVER_EXPIRED = 'waiver expired at ';

export type JudgedStatus = 'pass' | 'fail' | 'waived' | 'error';

export interface Judged {
  readonly rule: string;
  readonly status: JudgedStatus;
  readonly message: string | null;
  readonly line: number | null;
}

/** An outcome judged against the device's waivers at `now`. */
export function judge(outcome: RuleOutcome, device: string, path: string, waivers: readonly Waiver[], now: Date): Judged {
  if (outcome.status === 'pass') return { rule: outcome.rule, status: 'pass', message: null, line: null };
  if (outcome.status === 'error') return { rule: outcome.rule, status: 'error', message: outcome.message, line: null };
  const applying = waivers.filter((w) => w.rule === outcome.rule && w.device === device && (w.path === null || w.path === path));
  const live = applying.find((w) => w.expiresAt === null || Date.parse(w.expiresAt) > now.getTime());
  if (live) {
    const until = live.expiresAt ? `until ${live.expiresAt}` : 'with no expiry';
    return { rule: outcome.rule, status: 'waived', message: `${outcome.message} (waived by ${live.createdBy} ${until}: ${live.reason})`, line: outcome.line };
  }
  const expired = applying.map((w) => w.expiresAt).sort().at(-1);
  const message = expired ? `${WAIVER_EXPIRED}${expired}; ${outcome.message}` : outcome.message;
  return { rule: outcome.rule, status: 'fail', message, line: outcome.line };
}
