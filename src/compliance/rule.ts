/**
 * A compliance rule is data: a stable id namespaced by its pack, a CEL
 * expression over the normalised view of one parsed file (views.ts), and
 * what a reader needs to act on a failure (remediation, the benchmark item
 * it comes from). Built-in packs and custom rules (`compliance rule add`)
 * share this shape, so both travel to the analysis workers as plain data.
 */
import type { ConfigType } from '../parsers/parser.js';

export type Severity = 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/** The config types rules can be written for; a rule id starts with its type and a dot. */
export type RuleConfigType = Extract<ConfigType, 'sshd' | 'nginx' | 'compose' | 'systemd'>;

export const RULE_CONFIG_TYPES: readonly RuleConfigType[] = ['sshd', 'nginx', 'compose', 'systemd'];

/** Where a rule comes from: the benchmark or linter item it encodes. */
export interface RuleSource {
  /** e.g. `CIS Distribution Independent Linux 5.2.10`, `Lynis SSH-7408`, `gixy add_header_redefinition`. */
  readonly ref: string;
  /** A link to the item, when it has a public page. */
  readonly url?: string;
}

/**
 * One rule. `check` is evaluated on the file's view and yields either a
 * boolean (true = pass) or a list of violations, each a map with `line`
 * and `message` (empty = pass). `when` limits the files the rule applies
 * to: a rule that does not apply produces no result at all.
 */
export interface ComplianceRule {
  /** Stable id, `<configType>.<name>`, e.g. `sshd.permit-root-login`. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly configType: RuleConfigType;
  /** CEL: true / empty list when compliant. */
  readonly check: string;
  /** CEL: true when the rule applies to this file. Absent: always. */
  readonly when?: string;
  /** CEL: the 1-based line to point at when a boolean check fails. */
  readonly line?: string;
  /** What to change, in one or two sentences. */
  readonly remediation: string;
  readonly source: RuleSource;
  /** A mechanical fix: the directive to set (sshd) or the key to drop (compose), shown as a dry-run diff. */
  readonly fix?: RuleFix;
  /** True for rules added with `compliance rule add`. */
  readonly custom?: boolean;
  /** The tool that measures this rule on the device (measured.ts); its CEL is then never evaluated. */
  readonly measuredBy?: string;
}

/** Mechanical fixes a rule may offer. */
export type RuleFix =
  | { readonly kind: 'sshd-set'; readonly keyword: string; readonly value: string }
  | { readonly kind: 'nginx-set'; readonly directive: string; readonly value: string }
  | { readonly kind: 'compose-drop'; readonly key: string };

/** What evaluating one rule on one file gave. */
export type RuleOutcome =
  | { readonly rule: string; readonly status: 'pass' }
  | { readonly rule: string; readonly status: 'fail'; readonly message: string; readonly line: number | null }
  | { readonly rule: string; readonly status: 'error'; readonly message: string; readonly line: null };

/** A rule id: the pack (config type), a dot, then lowercase words. */
export const RULE_ID = /^(sshd|nginx|compose|systemd)\.[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*$/;
