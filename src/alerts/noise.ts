/**
 * Noise control that needs memory of recent alerts, all in process and
 * driven by the clock it is given (so tests control time):
 * - dedup: the same alert signature within the window is sent once;
 * - flapping: a file changing more than `flapCount` times within
 *   `flapWindowMs` gives one "flapping" alert, then silence until it settles;
 * - inhibition: while a device is disconnected, its per-file alerts are
 *   suppressed (the device's own alert says it all);
 * - grace: a disconnect is alerted only once it has lasted `graceMs`.
 * Digest windows and quiet hours hold deliveries in the outbox instead
 * (alert-engine.ts), so they survive a restart.
 */

export interface NoiseOptions {
  /** An identical alert within this window is suppressed. Default 5 min. */
  readonly dedupWindowMs?: number;
  /** Changes of one file within `flapWindowMs` that make it flapping. Default 4. */
  readonly flapCount?: number;
  /** Default 10 min. */
  readonly flapWindowMs?: number;
  /** How long a device must stay disconnected before it is alerted. Default 5 min. */
  readonly disconnectGraceMs?: number;
}

export type FlapState = 'steady' | 'started' | 'flapping';

interface Disconnect {
  readonly since: number;
  readonly reason: string;
  alerted: boolean;
}

export class NoiseControl {
  readonly #options: Required<NoiseOptions>;
  readonly #seen = new Map<string, number>();
  readonly #changes = new Map<string, number[]>();
  readonly #disconnected = new Map<string, Disconnect>();

  constructor(options: NoiseOptions = {}) {
    this.#options = Object.freeze({ dedupWindowMs: 5 * 60_000, flapCount: 4, flapWindowMs: 10 * 60_000, disconnectGraceMs: 5 * 60_000, ...options });
  }

  /** True when the same signature was seen within the dedup window (and records it either way). */
  duplicate(signature: string, now: number): boolean {
    for (const [key, at] of this.#seen) {
      if (now - at < this.#options.dedupWindowMs) break;
      this.#seen.delete(key);
    }
    const last = this.#seen.get(signature);
    this.#seen.delete(signature);
    this.#seen.set(signature, now);
    return last !== undefined && now - last < this.#options.dedupWindowMs;
  }

  /**
   * Records one change of each file and says whether the change set is
   * flapping: `started` when a file just crossed the threshold (one alert
   * says so), `flapping` when every file of the set is past it already.
   */
  flap(keys: readonly string[], now: number): FlapState {
    let started = false;
    let allFlapping = keys.length > 0;
    for (const key of keys) {
      const recent = (this.#changes.get(key) ?? []).filter((at) => now - at < this.#options.flapWindowMs);
      recent.push(now);
      this.#changes.set(key, recent);
      if (recent.length === this.#options.flapCount) started = true;
      if (recent.length <= this.#options.flapCount) allFlapping = false;
    }
    if (this.#changes.size > 10_000) this.#forgetSettled(now);
    return started ? 'started' : allFlapping ? 'flapping' : 'steady';
  }

  disconnected(device: string, reason: string, now: number): void {
    if (!this.#disconnected.has(device)) this.#disconnected.set(device, { since: now, reason, alerted: false });
  }

  /** Clears a disconnect; true when it had been alerted (so its recovery is worth telling). */
  connected(device: string): boolean {
    const entry = this.#disconnected.get(device);
    this.#disconnected.delete(device);
    return entry?.alerted ?? false;
  }

  /** True while the device is disconnected: its per-file alerts are inhibited. */
  unreachable(device: string): boolean {
    return this.#disconnected.has(device);
  }

  /** Disconnects that have now lasted the grace period, each returned once. */
  dueDisconnects(now: number): { device: string; since: number; reason: string }[] {
    const due: { device: string; since: number; reason: string }[] = [];
    for (const [device, entry] of this.#disconnected) {
      if (!entry.alerted && now - entry.since >= this.#options.disconnectGraceMs) {
        entry.alerted = true;
        due.push({ device, since: entry.since, reason: entry.reason });
      }
    }
    return due;
  }

  #forgetSettled(now: number): void {
    for (const [key, times] of this.#changes) if (now - (times.at(-1) ?? 0) >= this.#options.flapWindowMs) this.#changes.delete(key);
  }
}
