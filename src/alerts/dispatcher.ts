/**
 * Sends what the outbox holds. Every delivery is a row before anything is
 * sent; the dispatcher takes the rows that are due, sends them (a few at a
 * time), and marks each `sent`, or `queued` again with a later attempt time
 * (backoff doubling from `retryBaseMs` to `retryCapMs`, with jitter) while
 * the failure is retryable and attempts remain, or `failed` with the last
 * error. It publishes `alert.delivered` / `alert.failed`. Rows left queued
 * by a stopped process are simply due again when the next one starts.
 */
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logging.js';
import type { AlertRepository, StoredChannel, StoredDelivery } from '../store/alerts.repository.js';
import type { Alert } from './alert.js';
import { parseChannelUrl } from './channel-url.js';
import { type SendResult, sendAlert } from './senders.js';

export interface DispatcherOptions {
  /** First retry delay. Default 5 s. */
  readonly retryBaseMs?: number;
  /** Longest retry delay. Default 10 min. */
  readonly retryCapMs?: number;
  /** Attempts before a delivery is failed. Default 8. */
  readonly maxAttempts?: number;
  /** One attempt's time limit. Default 10 s. */
  readonly timeoutMs?: number;
  /** Deliveries sent at the same time. Default 16. */
  readonly concurrency?: number;
}

export interface DispatcherDeps {
  readonly repository: Pick<AlertRepository, 'due' | 'nextDue' | 'update' | 'listChannels'>;
  readonly bus: Pick<EventBus, 'publish'>;
  readonly log: Logger;
  /** Default: the system clock. */
  readonly clock?: () => Date;
}

const BATCH = 64;

export class AlertDispatcher {
  readonly #deps: DispatcherDeps;
  readonly #options: Required<DispatcherOptions>;
  readonly #clock: () => Date;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;

  constructor(deps: DispatcherDeps, options: DispatcherOptions = {}) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
    this.#options = Object.freeze({ retryBaseMs: 5_000, retryCapMs: 10 * 60_000, maxAttempts: 8, timeoutMs: 10_000, concurrency: 16, ...options });
  }

  /** Starts sending: what is due now at once, later deliveries when they are due. */
  start(): void {
    this.#stopped = false;
    this.kick();
  }

  /** New deliveries were queued: send what is due now. */
  kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** Stops scheduling; waits for the sends in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  /** Sends everything due now (also used by tests and `alert test`-like callers). Returns how many were attempted. */
  async drain(): Promise<number> {
    let attempted = 0;
    for (;;) {
      const due = await this.#deps.repository.due(this.#clock(), BATCH);
      if (due.length === 0) return attempted;
      attempted += due.length;
      // one read of the channels per batch, not one per delivery
      const channels = new Map((await this.#deps.repository.listChannels()).map((c) => [c.name, c]));
      let next = 0;
      const worker = async () => {
        while (next < due.length) await this.#attempt(due[next++] as StoredDelivery, channels);
      };
      await Promise.all(Array.from({ length: Math.min(this.#options.concurrency, due.length) }, worker));
    }
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.drain();
      } catch (error) {
        this.#deps.log.warn({ err: error }, 'alert outbox could not be read');
      }
    } while (this.#again && !this.#stopped);
    if (!this.#stopped) await this.#schedule();
  }

  async #schedule(): Promise<void> {
    clearTimeout(this.#timer);
    const next = await this.#deps.repository.nextDue().catch(() => undefined);
    // re-read the outbox at least every minute: another process (`alert test`, a second serve) may have queued rows
    const wait = next === undefined ? 60_000 : Math.min(Math.max(Date.parse(next) - this.#clock().getTime(), 0), 60_000);
    this.#timer = setTimeout(() => this.kick(), wait);
    this.#timer.unref();
  }

  async #attempt(delivery: StoredDelivery, channels: ReadonlyMap<string, StoredChannel>): Promise<void> {
    const attempts = delivery.attempts + 1;
    const channel = channels.get(delivery.channel);
    const result: SendResult = channel
      ? await sendAlert(parseChannelUrl(channel.url), delivery.payload as Alert, { timeoutMs: this.#options.timeoutMs })
      : { delivered: false, status: null, error: 'channel removed', retryable: false };
    const now = this.#clock();
    const receiverStatus = result.status === null ? null : String(result.status);
    if (result.delivered) {
      await this.#deps.repository.update(delivery.id, { status: 'sent', attempts, lastError: null, receiverStatus }, now);
      this.#deps.bus.publish('alert.delivered', delivery.device, { deliveryId: delivery.id, channel: delivery.channel, event: delivery.event, riskLevel: delivery.riskLevel, attempts });
      return;
    }
    const error = result.error ?? 'not delivered';
    if (result.retryable && attempts < this.#options.maxAttempts) {
      const delay = Math.min(this.#options.retryCapMs, this.#options.retryBaseMs * 2 ** (attempts - 1));
      // jitter in the upper half: retries of many deliveries to one receiver spread out
      const at = new Date(now.getTime() + delay / 2 + Math.random() * (delay / 2)).toISOString();
      await this.#deps.repository.update(delivery.id, { status: 'queued', attempts, nextAttemptAt: at, lastError: error, receiverStatus }, now);
      return;
    }
    await this.#deps.repository.update(delivery.id, { status: 'failed', attempts, lastError: error, receiverStatus }, now);
    this.#deps.bus.publish('alert.failed', delivery.device, { deliveryId: delivery.id, channel: delivery.channel, event: delivery.event, riskLevel: delivery.riskLevel, attempts, error });
  }
}
