/**
 * A small pool of worker threads that runs parsing, semantic diff, impact
 * and line diffs of host content off the event loop, each task under a
 * time and a memory budget. One hostile file (a quadratic corner of a
 * parser, a diff of two unrelated versions) then costs one worker for at
 * most its budget, while the API, the event stream, keepalives and other
 * devices carry on. A worker over budget is terminated and replaced; the
 * task resolves as `over budget` rather than failing.
 */

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ContentDiff } from '../analysis/content-diff.js';
import type { ComplianceRule, RuleOutcome } from '../compliance/rule.js';
import { ConfwatchError } from '../errors.js';
import type { Logger } from '../logging.js';
import type { AnalysisTask, AnalyzedSnapshot, AnalyzeTask, ComplianceTask, ContentDiffTask, SharedFiles, TemplateTask, TemplateTaskResult } from './analysis-tasks.js';
import type { TaskMessage, WorkerMessage } from './analysis-worker.js';

export interface AnalysisBudget {
  /** Wall time one task may take in its worker, in ms. Default 10 s. */
  readonly timeMs?: number;
  /** Heap (V8 old generation) one worker may use, in MB. Default 512. */
  readonly memoryMb?: number;
}

export interface AnalysisPoolOptions {
  /** Worker threads. Default: one less than the cores, at least one. */
  readonly size?: number;
  readonly budget?: AnalysisBudget;
  readonly log?: Logger;
}

/** Which budget a task exceeded. */
export type BudgetKind = 'time' | 'memory';

/** A task's result, or the budget it exceeded. */
export type Budgeted<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly budget: BudgetKind; readonly limit: string };

export const DEFAULT_TIME_BUDGET_MS = 10_000;
export const DEFAULT_MEMORY_BUDGET_MB = 512;

/** How much longer than its time budget a task may run in wall time while its CPU time is within it. */
const WALL_TIME_FACTOR = 5;
/** Linux counts thread CPU time in ticks of 10 ms: checks closer than that learn nothing. */
const MIN_RECHECK_MS = 10;
/** USER_HZ: the unit of /proc's utime and stime on every Linux architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** A thread's CPU time (user and system) in ms, from /proc; null where it cannot be read. */
function threadCpuMs(thread: number | null): number | null {
  if (thread === null) return null;
  try {
    const stat = readFileSync(`/proc/self/task/${thread}/stat`, 'latin1');
    // the fields after the command name, which is in parentheses and may hold spaces
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : null;
  } catch {
    return null;
  }
}

interface Job {
  readonly id: number;
  readonly task: AnalysisTask;
  /** This task's time budget, in ms, when not the pool's. */
  readonly timeMs: number;
  resolve(outcome: Budgeted<unknown>): void;
  reject(error: Error): void;
}

interface Slot {
  readonly worker: Worker;
  ready: boolean;
  /** The worker thread's Linux id (its CPU time is read from /proc); null elsewhere. */
  thread: number | null;
  job: Job | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The thread's CPU time and the wall clock when the running task started. */
  cpuAtStart: number | null;
  startedAt: number;
  /** Set once the slot is being replaced, so its exit is not handled twice. */
  retired: boolean;
}

/**
 * The worker's entry. Built, it is the .js beside this module; from the
 * TypeScript sources (tests, `npm run bench`) the worker is a module that
 * registers tsx and imports the .ts entry, since a worker does not inherit
 * the loader of the thread that starts it.
 */
function workerEntry(): URL {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return new URL('./analysis-worker.js', self);
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./analysis-worker.ts', self).href;
  const boot = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}

export class AnalysisPool {
  readonly #size: number;
  readonly #timeMs: number;
  readonly #memoryMb: number;
  readonly #log: Logger | undefined;
  readonly #entry: URL;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: AnalysisPoolOptions = {}) {
    this.#size = Math.max(1, options.size ?? availableParallelism() - 1);
    this.#timeMs = options.budget?.timeMs ?? DEFAULT_TIME_BUDGET_MS;
    this.#memoryMb = options.budget?.memoryMb ?? DEFAULT_MEMORY_BUDGET_MB;
    this.#log = options.log;
    this.#entry = workerEntry();
  }

  /** Parses, diffs and assesses one snapshot in a worker (and evaluates the compliance rules given). */
  analyze(task: Omit<AnalyzeTask, 'kind'>): Promise<Budgeted<AnalyzedSnapshot>> {
    return this.#run({ kind: 'analyze', ...task }) as Promise<Budgeted<AnalyzedSnapshot>>;
  }

  /** Evaluates compliance rules on files in a worker (parsing those given as bytes, against `context`): one list of outcomes per file, in order. */
  compliance(rules: readonly ComplianceRule[], files: ComplianceTask['files'], context?: SharedFiles): Promise<Budgeted<RuleOutcome[][]>> {
    return this.#run({ kind: 'compliance', rules, files, ...(context ? { context } : {}) }) as Promise<Budgeted<RuleOutcome[][]>>;
  }

  /** Line-diffs two versions in a worker. */
  contentDiff(before: Buffer, after: Buffer, names: ContentDiffTask['names']): Promise<Budgeted<ContentDiff>> {
    return this.#run({ kind: 'content-diff', before, after, names }) as Promise<Budgeted<ContentDiff>>;
  }

  /**
   * Renders a template in a worker (templates/render-task.ts) under
   * `timeMs` (default: the pool's time budget): LiquidJS's own limits are
   * checked only between steps, so this hard budget is what ends a render
   * that never reaches one.
   */
  template(task: Omit<TemplateTask, 'kind'>, timeMs?: number): Promise<Budgeted<TemplateTaskResult>> {
    return this.#run({ kind: 'template', ...task }, timeMs) as Promise<Budgeted<TemplateTaskResult>>;
  }

  /** Terminates the workers; queued and running tasks are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    const stopped = new ConfwatchError('CW_ERR_ANALYSIS_WORKER', 'the analysis pool was closed before the task ran; retry it');
    for (const job of this.#queue.splice(0)) job.reject(stopped);
    await Promise.all(
      [...this.#slots].map((slot) => {
        this.#retire(slot);
        slot.job?.reject(stopped);
        return slot.worker.terminate();
      }),
    );
  }

  #run(task: AnalysisTask, timeMs = this.#timeMs): Promise<Budgeted<unknown>> {
    if (this.#closed) return Promise.reject(new ConfwatchError('CW_ERR_ANALYSIS_WORKER', 'the analysis pool is closed; nothing more can be analysed'));
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, timeMs, resolve, reject });
      this.#dispatch();
    });
  }

  /** Hands queued jobs to ready idle workers, starting workers up to the pool size. */
  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) return;
      if (slot.ready && !slot.job) this.#start(slot, this.#queue.shift()!);
    }
    const starting = [...this.#slots].filter((s) => !s.ready).length;
    while (this.#slots.size < this.#size && this.#queue.length > starting) this.#spawn();
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    slot.cpuAtStart = threadCpuMs(slot.thread);
    slot.startedAt = performance.now();
    slot.timer = setTimeout(() => this.#checkTime(slot), job.timeMs);
    slot.worker.postMessage({ id: job.id, task: job.task } satisfies TaskMessage);
  }

  #spawn(): void {
    const worker = new Worker(this.#entry, { resourceLimits: { maxOldGenerationSizeMb: this.#memoryMb } });
    const slot: Slot = { worker, ready: false, thread: null, job: undefined, timer: undefined, cpuAtStart: null, startedAt: 0, retired: false };
    this.#slots.add(slot);
    worker.unref();
    worker.on('message', (message: WorkerMessage) => this.#onMessage(slot, message));
    worker.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') this.#overBudget(slot, 'memory');
      else this.#failed(slot, error);
    });
    worker.on('exit', () => {
      if (!slot.retired) this.#failed(slot, new Error('the worker exited'));
    });
  }

  #onMessage(slot: Slot, message: WorkerMessage): void {
    if (message.kind === 'ready') {
      slot.ready = true;
      slot.thread = message.thread;
      this.#dispatch();
      return;
    }
    const job = slot.job;
    if (!job || job.id !== message.id) return;
    clearTimeout(slot.timer);
    slot.job = undefined;
    slot.worker.unref();
    if (message.kind === 'done') job.resolve({ ok: true, value: message.value });
    else job.reject(new ConfwatchError('CW_ERR_ANALYSIS_WORKER', `analysis failed in its worker (${message.message}); the snapshot is stored, only its analysis is missing`));
    this.#dispatch();
  }

  /**
   * The time budget is the worker's CPU time where it can be read: a worker
   * runs at a lower priority (analysis-worker.ts), so on busy cores its wall
   * time stretches without the task costing more. Past WALL_TIME_FACTOR
   * times the budget in wall time it is over budget all the same.
   */
  #checkTime(slot: Slot): void {
    if (slot.retired || !slot.job) return;
    const budget = slot.job.timeMs;
    const now = threadCpuMs(slot.thread);
    const used = now !== null && slot.cpuAtStart !== null ? now - slot.cpuAtStart : null;
    const wall = performance.now() - slot.startedAt;
    if (used === null || used >= budget || wall >= budget * WALL_TIME_FACTOR) {
      this.#overBudget(slot, 'time');
      return;
    }
    slot.timer = setTimeout(() => this.#checkTime(slot), Math.max(MIN_RECHECK_MS, Math.min(budget - used, budget * WALL_TIME_FACTOR - wall)));
  }

  /** The running task exceeded a budget: it resolves as such and its worker is replaced. */
  #overBudget(slot: Slot, budget: BudgetKind): void {
    if (slot.retired) return;
    const job = slot.job;
    this.#replace(slot);
    const limit = budget === 'time' ? `${(job?.timeMs ?? this.#timeMs) / 1000} s` : `${this.#memoryMb} MB`;
    this.#log?.warn({ budget, limit }, 'analysis task over budget; worker replaced');
    job?.resolve({ ok: false, budget, limit });
  }

  /** The worker died for another reason: its task fails; a worker that never started fails the queue too. */
  #failed(slot: Slot, cause: Error): void {
    if (slot.retired) return;
    const job = slot.job;
    const started = slot.ready;
    this.#replace(slot);
    this.#log?.warn({ err: cause }, 'analysis worker stopped');
    const error = new ConfwatchError('CW_ERR_ANALYSIS_WORKER', `an analysis worker stopped (${cause.message}); the snapshot is stored, only its analysis is missing`, { cause });
    job?.reject(error);
    // a worker that cannot start would be respawned for ever
    if (!started) for (const queued of this.#queue.splice(0)) queued.reject(error);
  }

  #retire(slot: Slot): void {
    slot.retired = true;
    clearTimeout(slot.timer);
    this.#slots.delete(slot);
  }

  #replace(slot: Slot): void {
    this.#retire(slot);
    void slot.worker.terminate();
    if (!this.#closed) this.#dispatch();
  }
}
