/**
 * Which channels an alert goes to. Rules match event type, minimum risk,
 * device, device tag and path glob, and route to channels; each criterion
 * left out matches everything. Without any rule the default policy applies
 * (SPEC §11.1): LOW → nothing, MEDIUM → email and webhooks, HIGH → also
 * Slack and Discord, CRITICAL → also PagerDuty. A channel's own
 * `--min-risk` replaces its kind's default and holds under rules too.
 */
import picomatch from 'picomatch';
import { atLeast, isRiskLevel, type RiskLevel } from '../analysis/risk-level.js';
import { ConfwatchError } from '../errors.js';
import { ALERT_EVENTS, type Alert, isAlertEvent, type AlertEvent } from './alert.js';
import type { ChannelKind } from './channel-url.js';

/** Quiet hours in the server's local time, `22:00-07:00` (may wrap midnight). */
export interface QuietHours {
  readonly start: string;
  readonly end: string;
}

export interface AlertRule {
  readonly name: string;
  readonly channels: readonly string[];
  readonly minRisk: RiskLevel;
  readonly devices: readonly string[];
  readonly tags: readonly string[];
  readonly paths: readonly string[];
  readonly events: readonly AlertEvent[];
  readonly quiet: QuietHours | null;
  /** Batch alerts below CRITICAL into one message per this many seconds; null: send at once. */
  readonly digestSec: number | null;
}

export interface RoutableChannel {
  readonly name: string;
  readonly kind: ChannelKind;
  readonly minRisk: RiskLevel | null;
}

/** The lowest risk each kind receives under the default policy. */
const DEFAULT_MIN_RISK: Readonly<Record<ChannelKind, RiskLevel>> = {
  email: 'MEDIUM',
  json: 'MEDIUM',
  ntfy: 'MEDIUM',
  gotify: 'MEDIUM',
  slack: 'HIGH',
  discord: 'HIGH',
  pagerduty: 'CRITICAL',
};

export interface Route {
  readonly channel: string;
  /** The rule that routed it; null under the default policy. */
  readonly rule: AlertRule | null;
}

const ruleError = (message: string): ConfwatchError => new ConfwatchError('CW_ERR_ALERT_RULE', message);

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Parses `HH:MM-HH:MM`. */
export function parseQuietHours(text: string): QuietHours {
  const [start = '', end = '', ...rest] = text.split('-');
  if (rest.length > 0 || !TIME.test(start) || !TIME.test(end) || start === end) {
    throw ruleError(`--quiet "${text}" is not a window: give HH:MM-HH:MM, e.g. 22:00-07:00`);
  }
  return { start, end };
}

/** Input of `alert rule add` before it is checked. */
export interface RuleInput {
  readonly name: string;
  readonly channels: readonly string[];
  readonly minRisk?: string;
  readonly devices?: readonly string[];
  readonly tags?: readonly string[];
  readonly paths?: readonly string[];
  readonly events?: readonly string[];
  readonly quiet?: string;
  readonly digestSec?: number;
}

/** Checks a rule's input (CW_ERR_ALERT_RULE, naming the bad value). */
export function makeRule(input: RuleInput): AlertRule {
  if (input.channels.length === 0) throw ruleError('a rule needs at least one --channel');
  const minRisk = input.minRisk?.toUpperCase() ?? 'LOW';
  if (!isRiskLevel(minRisk)) throw ruleError(`--min-risk "${input.minRisk}" is not a risk level: use LOW, MEDIUM, HIGH or CRITICAL`);
  for (const event of input.events ?? []) {
    if (!isAlertEvent(event)) throw ruleError(`--event "${event}" raises no alert: use one of ${ALERT_EVENTS.join(', ')}`);
  }
  if (input.digestSec !== undefined && (!Number.isInteger(input.digestSec) || input.digestSec < 1)) throw ruleError('--digest takes a whole number of seconds, at least 1');
  return {
    name: input.name,
    channels: [...new Set(input.channels)],
    minRisk,
    devices: [...(input.devices ?? [])],
    tags: [...(input.tags ?? [])],
    paths: [...(input.paths ?? [])],
    events: (input.events ?? []) as AlertEvent[],
    quiet: input.quiet ? parseQuietHours(input.quiet) : null,
    digestSec: input.digestSec ?? null,
  };
}

function ruleMatches(rule: AlertRule, alert: Alert, deviceTags: readonly string[]): boolean {
  if (alert.event === 'alert.test' || alert.event === 'alert.summary') return false;
  if (rule.events.length > 0 && !rule.events.includes(alert.event)) return false;
  if (!atLeast(alert.riskLevel, rule.minRisk)) return false;
  if (rule.devices.length > 0 && !rule.devices.includes(alert.device)) return false;
  if (rule.tags.length > 0 && !rule.tags.some((t) => deviceTags.includes(t))) return false;
  if (rule.paths.length > 0) {
    const match = picomatch([...rule.paths], { dot: true });
    if (!alert.paths.some((p) => match(p))) return false;
  }
  return true;
}

/**
 * The channels an alert goes to, each once (the first rule that routes to
 * a channel decides its quiet hours and digest).
 */
export function routeAlert(alert: Alert, deviceTags: readonly string[], rules: readonly AlertRule[], channels: readonly RoutableChannel[]): Route[] {
  const byName = new Map(channels.map((c) => [c.name, c]));
  const passes = (channel: RoutableChannel | undefined, fallback: RiskLevel | null): channel is RoutableChannel => {
    if (!channel) return false;
    const floor = channel.minRisk ?? fallback;
    return floor === null || atLeast(alert.riskLevel, floor);
  };
  if (rules.length === 0) {
    return channels.filter((c) => passes(c, DEFAULT_MIN_RISK[c.kind])).map((c) => ({ channel: c.name, rule: null }));
  }
  const routes = new Map<string, Route>();
  for (const rule of rules) {
    if (!ruleMatches(rule, alert, deviceTags)) continue;
    for (const name of rule.channels) {
      if (!routes.has(name) && passes(byName.get(name), null)) routes.set(name, { channel: name, rule });
    }
  }
  return [...routes.values()];
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** When the quiet window around `now` ends (local time), or null when `now` is outside it. */
export function quietUntil(quiet: QuietHours, now: Date): Date | null {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  const minute = now.getHours() * 60 + now.getMinutes();
  const inside = start < end ? minute >= start && minute < end : minute >= start || minute < end;
  if (!inside) return null;
  const until = new Date(now);
  until.setHours(Math.floor(end / 60), end % 60, 0, 0);
  if (until.getTime() <= now.getTime()) until.setDate(until.getDate() + 1);
  return until;
}
