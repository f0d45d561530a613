/**
 * Entry point of an analysis worker thread: runs one task at a time and
 * posts its result. The pool measures the budget and terminates a worker
 * that exceeds it, so nothing here watches the clock.
 */
import { parentPort } from 'node:worker_threads';
import { type AnalysisTask, runAnalysisTask } from './analysis-tasks.js';

/** A task as the pool posts it. */
export interface TaskMessage {
  readonly id: number;
  readonly task: AnalysisTask;
}

/** What the worker posts: `ready` once its modules are loaded, then one reply per task. */
export type WorkerMessage =
  | { readonly kind: 'ready' }
  | { readonly kind: 'done'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };

const port = parentPort;
if (port) {
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
  port.postMessage({ kind: 'ready' } satisfies WorkerMessage);
}
