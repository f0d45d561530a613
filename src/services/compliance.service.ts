/**
 * Compliance: which rules apply (built-in packs and custom rules), their
 * results per (device, path, rule) judged against waivers, and the events
 * when a result moves. Results come from three places: the analysis of
 * every stored snapshot (AnalysisService evaluates the file's rules in the
 * same worker and hands the outcomes to `record`), a run over the latest
 * parse of every tracked file (`run`: on demand and on `serve`'s schedule),
 * and a waiver being added (its device is run again at once).
 */

import { parseCustomRules } from '../compliance/custom-rules.js';
import { evaluatedAlone } from '../compliance/evaluator.js';
import { applyFix } from '../compliance/fixes.js';
import { exposureOutcome, MEASURED_RULE_IDS, MEASURED_RULES } from '../compliance/measured.js';
import { BUILTIN_RULES } from '../compliance/packs/index.js';
import { buildReport, type ComplianceReport } from '../compliance/report.js';
import { type ComplianceRule, RULE_CONFIG_TYPES, type RuleConfigType, type RuleOutcome, type Severity } from '../compliance/rule.js';
import { type Judged, judge, WAIVER_EXPIRED } from '../compliance/waivers.js';
import type { AnalysisPool } from '../compute/analysis-pool.js';
import { ConfwatchError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import { createLogger, type Logger } from '../logging.js';
import type { ComplianceRepository, ResultChange, ResultScope, StoredResult, StoredWaiver, TrendPoint } from '../store/compliance.repository.js';
import { newId } from '../store/ids.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import type { ExposureScore, UnitToScore } from '../validate/exposure.js';
import { unifiedDiff } from '../writeback/unified-diff.js';
import type { ChangeRequestInput, ChangeRequestView } from './change-request.service.js';

/** Files sent to a worker in one task during a run. */
const RUN_CHUNK = 200;
/** Custom rules are re-read at most this often (another process may have added one). */
const RULES_TTL_MS = 5_000;
/** `serve` runs the whole fleet this often unless told otherwise. */
export const DEFAULT_COMPLIANCE_INTERVAL_MS = 60 * 60 * 1000;

/** A finding as `compliance run --json` prints it (SPEC §11.3). */
export interface ComplianceFinding {
  readonly rule: string;
  readonly severity: Severity;
  readonly device: string;
  readonly path: string;
  readonly status: 'fail' | 'waived' | 'error';
  readonly message: string | null;
  readonly line: number | null;
}

export interface ComplianceRunResult {
  readonly summary: { pass: number; fail: number; waived: number; error: number };
  /** Every result that is not a pass. */
  readonly findings: ComplianceFinding[];
}

/** A rule's mechanical fix of one file, as a diff from its latest stored version. */
export interface ComplianceFix {
  readonly rule: string;
  readonly device: string;
  readonly path: string;
  readonly diff: string;
}

export interface WaiveInput {
  readonly rule: string;
  readonly device: string;
  readonly path?: string;
  readonly reason: string;
  /** ISO time; absent: no expiry. */
  readonly expires?: string;
  readonly by: string;
}

export interface ComplianceServiceOptions {
  readonly store: Pick<SnapshotStore, 'listDevices' | 'getDevice' | 'listTrackedFiles' | 'getSnapshot' | 'getTrackedFile' | 'readContent'>;
  readonly repo: ComplianceRepository;
  /** Runs the evaluations of a fleet run off the event loop. */
  readonly pool: Pick<AnalysisPool, 'compliance'>;
  /** Where `compliance.failed` / `compliance.passed` go; without it nothing is published. */
  readonly bus?: Pick<EventBus, 'publish'>;
  /** Turns a fix into a change request (the change-request service); without it fixes are dry-run diffs only. */
  readonly proposeChange?: (actor: string, input: ChangeRequestInput) => Promise<ChangeRequestView>;
  /** Scores service units on their device (`systemd-analyze security`); without it the exposure rule has no results. */
  readonly measureExposure?: (device: string, units: readonly UnitToScore[]) => Promise<Map<string, ExposureScore>>;
  readonly log?: Logger;
  readonly now?: () => Date;
}

/** A tracked file's version whose measured rules are due. */
interface ToMeasure {
  readonly path: string;
  readonly snapshotId: string;
  readonly contentHash: string;
}

const CEL_RULES: ResultScope = { except: MEASURED_RULE_IDS };

const isRuleType = (type: string): type is RuleConfigType => (RULE_CONFIG_TYPES as readonly string[]).includes(type);

export class ComplianceService {
  readonly #options: ComplianceServiceOptions;
  readonly #log: Logger;
  readonly #now: () => Date;
  #rules: { at: number; rules: Promise<ComplianceRule[]> } | undefined;
  /** Measurements started by `record`, one at a time. */
  #measuring: Promise<void> = Promise.resolve();

  constructor(options: ComplianceServiceOptions) {
    this.#options = options;
    this.#log = options.log ?? createLogger('compliance');
    this.#now = options.now ?? (() => new Date());
  }

  /** Built-in rules, then custom ones. */
  rules(): Promise<ComplianceRule[]> {
    const now = Date.now();
    if (!this.#rules || now - this.#rules.at > RULES_TTL_MS) {
      const rules = this.#options.repo.rules().then((custom) => [...BUILTIN_RULES, ...MEASURED_RULES, ...custom.map((c) => c.rule as ComplianceRule)]);
      this.#rules = { at: now, rules };
      rules.catch(() => {
        this.#rules = undefined;
      });
    }
    return this.#rules.rules;
  }

  /** True when rules are evaluated on this file on its own (a type with rules, not an sshd drop-in). */
  judges(type: string, path: string): boolean {
    return isRuleType(type) && evaluatedAlone(type, path);
  }

  /**
   * Judges a file's outcomes against waivers, stores them and publishes
   * what moved. `snapshotId` names the version judged, when known.
   */
  async record(device: string, path: string, snapshotId: string | null, outcomes: readonly RuleOutcome[]): Promise<Judged[]> {
    const { judged, moved } = await this.#record(device, path, snapshotId, outcomes, CEL_RULES);
    if (moved) await this.#trendPoint(device);
    if (snapshotId !== null && this.#measures(path)) this.#measureSoon(device, snapshotId);
    return judged;
  }

  /** Resolves once the measurements `record` started have finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.#measuring;
  }

  async #record(
    device: string,
    path: string,
    snapshotId: string | null,
    outcomes: readonly RuleOutcome[],
    scope: ResultScope,
  ): Promise<{ judged: Judged[]; moved: boolean }> {
    const now = this.#now();
    const waivers = await this.#options.repo.waivers(device);
    const judged = outcomes.map((o) => judge(o, device, path, waivers, now));
    const changes = await this.#options.repo.replaceFile(device, path, judged, now.toISOString(), scope);
    this.#publish(changes, snapshotId, await this.rules());
    return { judged, moved: changes.length > 0 };
  }

  /** Appends the device's current score per pack to its trend (points equal to the last one are not repeated). */
  async #trendPoint(device: string): Promise<void> {
    const at = this.#now().toISOString();
    const report = buildReport(await this.#options.repo.results(device), await this.rules(), at);
    const packs = Object.entries(report.devices[0]?.packs ?? {});
    await this.#options.repo.appendTrend(packs.map(([pack, counts]) => ({ device, pack, at, ...counts })));
  }

  /** A device's (or the fleet's) score per pack over time, oldest first. */
  trend(device?: string, since?: string): Promise<TrendPoint[]> {
    return this.#options.repo.trend(device, since);
  }

  /** A deleted file has no results any more. */
  async forget(device: string, path: string): Promise<void> {
    await this.#options.repo.removeFile(device, path);
  }

  /** Evaluates every rule on the latest parse of every tracked file (of one device, or all), stores and returns the results. */
  async run(options: { device?: string } = {}): Promise<ComplianceRunResult> {
    const { store, pool } = this.#options;
    if (options.device !== undefined && !(await store.getDevice(options.device))) {
      throw new ConfwatchError('CW_ERR_NOT_FOUND', `no device named ${options.device}; see confwatch device list`);
    }
    const devices = options.device !== undefined ? [options.device] : (await store.listDevices()).map((d) => d.name);
    const rules = await this.rules();
    const summary = { pass: 0, fail: 0, waived: 0, error: 0 };
    const findings: ComplianceFinding[] = [];
    const severity = new Map(rules.map((r) => [r.id, r.severity]));
    for (const device of devices) {
      const tracked = (await store.listTrackedFiles(device)).filter((t) => !t.deleted && t.latestSnapshotId && this.judges(t.configType, t.path));
      for (let i = 0; i < tracked.length; i += RUN_CHUNK) {
        const chunk = tracked.slice(i, i + RUN_CHUNK);
        const snapshots = await Promise.all(chunk.map((t) => store.getSnapshot(t.latestSnapshotId as string)));
        const files = chunk.map((t, k) => ({ path: t.path, type: t.configType, parsed: snapshots[k]?.parsed ?? null }));
        const outcome = await pool.compliance(rules, files);
        if (!outcome.ok) throw new ConfwatchError('CW_ERR_ANALYSIS_WORKER', `evaluating compliance rules on ${device} went over the ${outcome.budget} budget (${outcome.limit}); retry, or run one device at a time`);
        const judged = new Map<string, Judged[]>();
        for (const [k, file] of files.entries()) judged.set(file.path, (await this.#record(device, file.path, snapshots[k]?.id ?? null, outcome.value[k] ?? [], CEL_RULES)).judged);
        const due = chunk.filter((t) => this.#measures(t.path) && t.contentHash).map((t) => ({ path: t.path, snapshotId: t.latestSnapshotId as string, contentHash: t.contentHash as string }));
        for (const [path, measured] of await this.#measure(device, due)) judged.get(path)?.push(...measured);
        for (const [path, list] of judged) {
          for (const j of list) {
            summary[j.status] += 1;
            if (j.status !== 'pass') findings.push({ rule: j.rule, severity: severity.get(j.rule) ?? 'medium', device, path, status: j.status, message: j.message, line: j.line });
          }
        }
      }
      await this.#trendPoint(device);
    }
    return { summary, findings };
  }

  /** True when the measured rules apply to this file (and something can measure them). */
  #measures(path: string): boolean {
    return this.#options.measureExposure !== undefined && path.endsWith('.service');
  }

  /** Measures a newly stored version after its CEL results are in, without holding up the analysis that recorded them. */
  #measureSoon(device: string, snapshotId: string): void {
    this.#measuring = this.#measuring.then(async () => {
      const snapshot = await this.#options.store.getSnapshot(snapshotId);
      if (!snapshot || snapshot.changeType === 'deleted') return;
      const tracked = await this.#options.store.getTrackedFile(device, snapshot.path);
      // a later version is on its way and will be measured in turn
      if (tracked?.latestSnapshotId !== snapshotId || !tracked.contentHash) return;
      if ((await this.#measure(device, [{ path: snapshot.path, snapshotId, contentHash: tracked.contentHash }])).size > 0) await this.#trendPoint(device);
    });
  }

  /**
   * Scores the given versions on their device and records the measured
   * rules' results; a device that cannot be reached or has no tool keeps
   * what it had. Returns the judged results by path.
   */
  async #measure(device: string, due: readonly ToMeasure[]): Promise<Map<string, Judged[]>> {
    const measureExposure = this.#options.measureExposure;
    const judged = new Map<string, Judged[]>();
    if (!measureExposure || due.length === 0) return judged;
    try {
      const units = await Promise.all(due.map(async (d) => ({ path: d.path, content: await this.#options.store.readContent({ contentHash: d.contentHash }) })));
      const scores = await measureExposure(device, units);
      for (const d of due) {
        const score = scores.get(d.path);
        if (!score || 'unavailable' in score) continue;
        judged.set(d.path, (await this.#record(device, d.path, d.snapshotId, [exposureOutcome(score)], { only: MEASURED_RULE_IDS })).judged);
      }
    } catch (error) {
      this.#log.warn({ device, code: (error as { code?: string }).code ?? 'CW_ERR_INTERNAL' }, 'measuring service exposure failed; the previous results stand');
    }
    return judged;
  }

  /** Runs the whole fleet every `intervalMs`; a failed run is logged and the next one still happens. */
  schedule(intervalMs: number = DEFAULT_COMPLIANCE_INTERVAL_MS): { stop(): void } {
    let running: Promise<unknown> | undefined;
    const timer = setInterval(() => {
      if (running) return;
      running = this.run()
        .catch((error: unknown) => this.#log.warn({ code: (error as { code?: string }).code ?? 'CW_ERR_INTERNAL' }, 'scheduled compliance run failed'))
        .finally(() => {
          running = undefined;
        });
    }, intervalMs);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  /** Stored results, of one device or all. */
  results(device?: string): Promise<StoredResult[]> {
    return this.#options.repo.results(device);
  }

  waivers(device?: string): Promise<StoredWaiver[]> {
    return this.#options.repo.waivers(device);
  }

  /** Adds a waiver and judges the device again at once, so the failure it covers is waived now. */
  async waive(input: WaiveInput): Promise<StoredWaiver> {
    const rules = await this.rules();
    if (!rules.some((r) => r.id === input.rule)) throw new ConfwatchError('CW_ERR_NOT_FOUND', `no compliance rule ${input.rule}; see confwatch compliance rules`);
    if (!(await this.#options.store.getDevice(input.device))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `no device named ${input.device}; see confwatch device list`);
    if (input.reason.trim() === '') throw new ConfwatchError('CW_ERR_USAGE', 'a waiver needs a reason: pass --reason TEXT');
    let expiresAt: string | null = null;
    if (input.expires !== undefined) {
      const time = Date.parse(input.expires);
      if (Number.isNaN(time)) throw new ConfwatchError('CW_ERR_USAGE', `--expires must be an ISO-8601 time, got "${input.expires}"`);
      expiresAt = new Date(time).toISOString();
    }
    const waiver: StoredWaiver = {
      id: newId(),
      rule: input.rule,
      device: input.device,
      path: input.path ?? null,
      reason: input.reason,
      expiresAt,
      createdBy: input.by,
      createdAt: this.#now().toISOString(),
    };
    await this.#options.repo.addWaiver(waiver);
    await this.run({ device: input.device });
    return waiver;
  }

  /** Validates a YAML rule file and stores its rules; refuses ids of built-in or existing rules. */
  async addRules(text: string, file: string, by: string): Promise<ComplianceRule[]> {
    const rules = parseCustomRules(text, file);
    const existing = new Set((await this.rules()).map((r) => r.id));
    const builtin = new Set([...BUILTIN_RULES, ...MEASURED_RULES].map((r) => r.id));
    for (const rule of rules) {
      if (builtin.has(rule.id)) throw new ConfwatchError('CW_ERR_COMPLIANCE_RULE_BUILTIN', `${rule.id} is a built-in rule; give the custom rule another id`);
      if (existing.has(rule.id)) throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `a custom rule ${rule.id} already exists; remove it first with confwatch compliance rule remove ${rule.id}`);
    }
    const at = this.#now().toISOString();
    for (const rule of rules) await this.#options.repo.addRule(rule.id, rule, by, at);
    this.#rules = undefined;
    return rules;
  }

  async removeRule(id: string): Promise<void> {
    if ([...BUILTIN_RULES, ...MEASURED_RULES].some((r) => r.id === id)) throw new ConfwatchError('CW_ERR_COMPLIANCE_RULE_BUILTIN', `${id} is a built-in rule and cannot be removed; waive it per device instead`);
    if (!(await this.#options.repo.removeRule(id))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `no custom rule ${id}; see confwatch compliance rules`);
    this.#rules = undefined;
  }

  /**
   * A rule's mechanical fix for a file, as a dry-run diff from its latest
   * stored version: nothing is written.
   */
  async fix(ruleId: string, device: string, path: string): Promise<ComplianceFix> {
    const { content: _content, baseHash: _baseHash, ...fix } = await this.#fixed(ruleId, device, path);
    return fix;
  }

  /**
   * A rule's fix as a change request by `actor`: the fixed bytes of the
   * latest stored version, expected to be what the host has (a file that
   * drifted since is refused, never overwritten with an older base). The
   * request then takes the approvals its risk asks for.
   */
  async proposeFix(actor: string, ruleId: string, device: string, path: string): Promise<ComplianceFix & { changeRequest: ChangeRequestView }> {
    const propose = this.#options.proposeChange;
    if (!propose) throw new ConfwatchError('CW_ERR_USAGE', 'change requests are not available here; show the fix as a diff without --propose');
    const { content, baseHash, ...fix } = await this.#fixed(ruleId, device, path);
    const changeRequest = await propose(actor, {
      title: `Fix ${ruleId} on ${device}:${path}`,
      changes: [{ device, path, source: { kind: 'content', content }, expectHash: baseHash }],
      origin: { kind: 'compliance-fix', rule: ruleId },
    });
    return { ...fix, changeRequest };
  }

  async #fixed(ruleId: string, device: string, path: string): Promise<ComplianceFix & { content: Buffer; baseHash: string }> {
    const rule = (await this.rules()).find((r) => r.id === ruleId);
    if (!rule) throw new ConfwatchError('CW_ERR_NOT_FOUND', `no compliance rule ${ruleId}; see confwatch compliance rules`);
    if (!rule.fix) throw new ConfwatchError('CW_ERR_USAGE', `${ruleId} has no mechanical fix; follow its remediation: ${rule.remediation}`);
    const tracked = await this.#options.store.getTrackedFile(device, path);
    if (!tracked || tracked.deleted || !tracked.contentHash) throw new ConfwatchError('CW_ERR_NOT_FOUND', `no stored version of ${path} on ${device}; see confwatch files --device ${device}`);
    if (tracked.configType !== rule.configType) throw new ConfwatchError('CW_ERR_USAGE', `${ruleId} applies to ${rule.configType} files and ${path} is ${tracked.configType}`);
    const before = await this.#options.store.readContent({ contentHash: tracked.contentHash });
    const after = applyFix(rule.fix, before.toString('utf8'));
    if (after === null) throw new ConfwatchError('CW_ERR_USAGE', `${path} has no place for the fix of ${ruleId}; follow its remediation: ${rule.remediation}`);
    const content = Buffer.from(after, 'utf8');
    return { rule: ruleId, device, path, diff: unifiedDiff(path, before, content), content, baseHash: tracked.contentHash };
  }

  /** The report over stored results (of one device, or all), with their score trend. */
  async report(device?: string): Promise<ComplianceReport & { trend: TrendPoint[] }> {
    return { ...buildReport(await this.results(device), await this.rules(), this.#now().toISOString()), trend: await this.trend(device) };
  }

  #publish(changes: readonly ResultChange[], snapshotId: string | null, rules: readonly ComplianceRule[]): void {
    const bus = this.#options.bus;
    if (!bus) return;
    const byId = new Map(rules.map((r) => [r.id, r]));
    for (const { result, previous } of changes) {
      const rule = byId.get(result.rule);
      if (!rule) continue;
      const base = { path: result.path, rule: rule.id, severity: rule.severity, title: rule.title, snapshotId };
      if (result.status === 'fail' && previous !== 'fail') {
        const message = result.message ?? rule.title;
        bus.publish('compliance.failed', result.device, { ...base, message, line: result.line, waiverExpired: message.startsWith(WAIVER_EXPIRED) });
      } else if (result.status === 'pass' && previous === 'fail') bus.publish('compliance.passed', result.device, base);
    }
  }
}
