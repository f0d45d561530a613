/**
 * Rules measured on the device by a real tool rather than evaluated in CEL
 * over the parse: today the exposure score `systemd-analyze security` gives
 * a service unit. They are listed, waived, reported and alerted like every
 * other rule; their `when` is false so the CEL workers never judge them, and
 * their results are stored apart (a new parse of the file leaves them be
 * until the tool has measured the new version).
 */
import type { ComplianceRule, RuleOutcome } from './rule.js';

/** systemd's bands from which a unit counts as exposed (`systemd-analyze security`). */
const EXPOSED_LEVELS: ReadonlySet<string> = new Set(['EXPOSED', 'UNSAFE', 'DANGEROUS']);

export const EXPOSURE_RULE: ComplianceRule = {
  id: 'systemd.exposure',
  title: 'Overall exposure is MEDIUM or lower',
  severity: 'medium',
  configType: 'systemd',
  when: 'false',
  check: 'true',
  remediation:
    'Sandbox the service until `systemd-analyze security UNIT` rates it MEDIUM or better: run it as an unprivileged or dynamic user and enable the Protect*/Private*/Restrict* options the other systemd rules name.',
  source: { ref: 'systemd-analyze security (overall exposure level)', url: 'https://www.freedesktop.org/software/systemd/man/latest/systemd-analyze.html' },
  measuredBy: 'systemd-analyze security --offline=yes',
};

export const MEASURED_RULES: readonly ComplianceRule[] = [EXPOSURE_RULE];

export const MEASURED_RULE_IDS: readonly string[] = MEASURED_RULES.map((r) => r.id);

/** A service unit's score as the exposure rule's outcome. */
export function exposureOutcome(score: { readonly score: number; readonly level: string }): RuleOutcome {
  return EXPOSED_LEVELS.has(score.level)
    ? { rule: EXPOSURE_RULE.id, status: 'fail', message: `exposure ${score.score.toFixed(1)} ${score.level} (systemd-analyze security)`, line: null }
    : { rule: EXPOSURE_RULE.id, status: 'pass' };
}
