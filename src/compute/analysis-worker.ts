/**
 * Entry point of an analysis worker thread: runs one task at a time and
 * posts its result. The pool measures the budget and terminates a worker
 * that exceeds it, so nothing here watches the clock.
 */
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { type AnalysisTask, runAnalysisTask } from './analysis-tasks.js';

/** How much lower than the process a worker thread runs (nice increment, Linux). */
const BACKGROUND_NICENESS = 10;

/**
 * Analysis is background work: when the cores are busy, the event loop
 * (API, capture of the other devices, SSH keepalives) must win the CPU.
 * Linux schedules threads separately and `setpriority` accepts a thread id,
 * so the worker lowers its own thread only. Elsewhere, or when not allowed,
 * it keeps the process's priority.
 */
function runInBackground(): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (!Number.isInteger(tid) || tid <= 0) return null;
    setPriority(tid, Math.min(19, getPriority(tid) + BACKGROUND_NICENESS));
    return tid;
  } catch {
    // not Linux, or /proc not mounted: the worker runs at the process's priority
    return null;
  }
}

/** A task as the pool posts it. */
export interface TaskMessage {
  readonly id: number;
  readonly task: AnalysisTask;
}

/** What the worker posts: `ready` once its modules are loaded, then one reply per task. */
export type WorkerMessage =
  /** `thread`: the worker thread's Linux id, for the pool to read its CPU time; null elsewhere. */
  | { readonly kind: 'ready'; readonly thread: number | null }
  | { readonly kind: 'done'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

const port = parentPort;
if (port) {
  const thread = runInBackground();
  port.on('message', ({ id, task }: TaskMessage) => {
    let reply: WorkerMessage;
    try {
      reply = { kind: 'done', id, value: runAnalysisTask(task) };
    } catch (error) {
      // analysis never throws for bad input, so this is a defect; its message may quote the content, so only the kind is sent
      reply = { kind: 'failed', id, message: error instanceof Error ? error.name : 'unknown error' };
    }
    port.postMessage(reply);
  });
  port.postMessage({ kind: 'ready', thread } satisfies WorkerMessage);
}
