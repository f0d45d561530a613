/**
 * Alerts as the CLI and the API use them: channels (shown only with their
 * URLs redacted), rules, a test message, the delivery log; and `start()`,
 * which `serve` calls to follow the bus and send from the outbox.
 */
import { type Alert, ALERT_EVENTS, makeAlert } from '../alerts/alert.js';
import { AlertEngine, type AlertEngineOptions, type AnalysisProgress, type DiffSource } from '../alerts/alert-engine.js';
import { type ChannelKind, parseChannelUrl, redactChannelUrl } from '../alerts/channel-url.js';
import { AlertDispatcher, type DispatcherOptions } from '../alerts/dispatcher.js';
import { type AlertRule, makeRule, type RuleInput } from '../alerts/policy.js';
import { sendAlert } from '../alerts/senders.js';
import { isRiskLevel, type RiskLevel } from '../analysis/risk-level.js';
import { assertValidName } from '../config/names.js';
import { ConfwatchError } from '../errors.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging.js';
import type { AlertRepository, DeliveryStatus } from '../store/alerts.repository.js';
import type { SnapshotStore } from '../store/snapshot-store.js';

export interface ChannelView {
  readonly name: string;
  readonly kind: ChannelKind;
  /** Secrets masked (redactChannelUrl). */
  readonly url: string;
  readonly minRisk: RiskLevel | null;
  readonly createdAt: string;
}

/** One line of `alert log` (SPEC §11.1 fields first). */
export interface DeliveryView {
  readonly id: string;
  readonly channel: string;
  readonly event: string;
  readonly riskLevel: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** When it was queued. */
  readonly at: string;
  readonly device: string;
  readonly title: string;
  /** The receiver's last answer (HTTP status, SMTP reply). */
  readonly receiverStatus: string | null;
  /** The last error, or why it was suppressed. */
  readonly error: string | null;
  readonly updatedAt: string;
}

export interface TestResult {
  readonly delivered: boolean;
  readonly status: number | string | null;
  readonly error?: string;
}

export interface AlertsRunOptions extends AlertEngineOptions {
  readonly dispatcher?: DispatcherOptions;
  /** How often held alerts and disconnect grace periods are checked. Default 1 s. */
  readonly tickMs?: number;
  /** Default: the system clock. */
  readonly clock?: () => Date;
}

export interface RunningAlerts {
  readonly engine: AlertEngine;
  readonly dispatcher: AlertDispatcher;
  stop(): Promise<void>;
}

export interface AlertServiceDeps {
  readonly repository: AlertRepository;
  readonly store: Pick<SnapshotStore, 'getSnapshot' | 'getDevice' | 'getTrackedFile'>;
  readonly diffs: DiffSource;
  readonly analysis: AnalysisProgress;
  readonly bus: EventBus;
  readonly log: Logger;
}

export class AlertService {
  readonly #deps: AlertServiceDeps;

  constructor(deps: AlertServiceDeps) {
    this.#deps = deps;
  }

  async addChannel(name: string, url: string, minRisk?: string): Promise<ChannelView> {
    assertValidName(name, 'channel name');
    const kind = parseChannelUrl(url).kind;
    const risk = minRisk === undefined ? null : minRisk.toUpperCase();
    if (risk !== null && !isRiskLevel(risk)) throw new ConfwatchError('CW_ERR_USAGE', `--min-risk "${minRisk}" is not a risk level: use LOW, MEDIUM, HIGH or CRITICAL`);
    const stored = await this.#deps.repository.addChannel({ name, kind, url, minRisk: risk });
    return view(stored);
  }

  async listChannels(): Promise<ChannelView[]> {
    return (await this.#deps.repository.listChannels()).map(view);
  }

  async removeChannel(name: string): Promise<void> {
    if (!(await this.#deps.repository.removeChannel(name))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown alert channel "${name}"; see \`confwatch alert channel list\``);
  }

  async addRule(input: RuleInput): Promise<AlertRule> {
    assertValidName(input.name, 'rule name');
    const rule = makeRule(input);
    const known = new Set((await this.#deps.repository.listChannels()).map((c) => c.name));
    const unknown = rule.channels.find((c) => !known.has(c));
    if (unknown) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown alert channel "${unknown}"; add it with \`confwatch alert channel add\``);
    await this.#deps.repository.addRule(rule.name, rule);
    return rule;
  }

  async listRules(): Promise<AlertRule[]> {
    return (await this.#deps.repository.listRules()).map((r) => r.spec as AlertRule);
  }

  async removeRule(name: string): Promise<void> {
    if (!(await this.#deps.repository.removeRule(name))) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown alert rule "${name}"; see \`confwatch alert rule list\``);
  }

  /** Sends a test message now (not through the outbox) and records the outcome in the log. */
  async test(name: string): Promise<TestResult> {
    const channel = await this.#deps.repository.getChannel(name);
    if (!channel) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown alert channel "${name}"; see \`confwatch alert channel list\``);
    const now = new Date();
    const alert = makeAlert({
      event: 'alert.test',
      device: 'confwatch',
      riskLevel: 'LOW',
      title: `confwatch test message for channel ${name}`,
      summary: `alerts from confwatch reach this channel; they are sent on ${ALERT_EVENTS.join(', ')}`,
      incidentKey: `confwatch::test:${name}`,
      at: now.toISOString(),
    });
    const result = await sendAlert(parseChannelUrl(channel.url), alert);
    const [row] = await this.#deps.repository.enqueue(
      [
        {
          channel: name,
          event: alert.event,
          device: alert.device,
          riskLevel: alert.riskLevel,
          dedupKey: `test:${now.toISOString()}:${Math.random().toString(36).slice(2)}`,
          status: result.delivered ? 'sent' : 'failed',
          nextAttemptAt: now.toISOString(),
          lastError: result.error ?? null,
          payload: alert,
        },
      ],
      now,
    );
    if (row) await this.#deps.repository.update(row.id, { status: row.status, attempts: 1, receiverStatus: result.status === null ? null : String(result.status) }, now);
    return { delivered: result.delivered, status: result.status, ...(result.error ? { error: result.error } : {}) };
  }

  async log(limit = 50): Promise<DeliveryView[]> {
    return (await this.#deps.repository.log(limit)).map((d) => ({
      id: d.id,
      channel: d.channel,
      event: d.event,
      riskLevel: d.riskLevel,
      status: d.status,
      attempts: d.attempts,
      at: d.createdAt,
      device: d.device,
      title: (d.payload as Alert | null)?.title ?? '',
      receiverStatus: d.receiverStatus,
      error: d.lastError,
      updatedAt: d.updatedAt,
    }));
  }

  /** Follows the bus and sends from the outbox (queued deliveries left by an earlier run first) until stop(). */
  start(options: AlertsRunOptions = {}): RunningAlerts {
    const { repository, store, diffs, analysis, bus, log } = this.#deps;
    const clock = options.clock ?? (() => new Date());
    const dispatcher = new AlertDispatcher({ repository, bus, log, clock }, options.dispatcher);
    const engine = new AlertEngine({ repository, store, diffs, analysis, dispatcher, log, clock }, options);
    engine.start(bus);
    dispatcher.start();
    const ticker = setInterval(() => void engine.tick(), options.tickMs ?? 1_000);
    ticker.unref();
    return {
      engine,
      dispatcher,
      async stop() {
        clearInterval(ticker);
        await engine.stop();
        await dispatcher.stop();
      },
    };
  }
}

const view = (c: { name: string; kind: string; url: string; minRisk: string | null; createdAt: string }): ChannelView => ({
  name: c.name,
  kind: c.kind as ChannelKind,
  url: redactChannelUrl(c.url),
  minRisk: c.minRisk !== null && isRiskLevel(c.minRisk) ? c.minRisk : null,
  createdAt: c.createdAt,
});
