/**
 * Turns a running command's stdout into a RecordStream: records are queued
 * until the consumer takes them (stdout is paused while the queue is long,
 * which applies SSH flow control), stderr is always drained line by line.
 */
import type { Readable } from 'node:stream';
import { RecordSplitter } from './record-splitter.js';
import type { RecordStream, StreamOptions } from './transport.js';

/** Records queued before stdout is paused. */
const HIGH_WATER = 1024;

export interface RunningCommand {
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves with the exit code (null when killed by a signal) once the command ended and its output is read. */
  readonly exited: Promise<number | null>;
  /** Kills the command; resolves once it is gone. */
  stop(): Promise<void>;
}

export function toRecordStream(command: RunningCommand, options: StreamOptions = {}): RecordStream {
  const splitter = new RecordSplitter(options.separator ?? 'newline');
  const queue: Buffer[] = [];
  let done = false;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  command.stdout.on('data', (chunk: Buffer) => {
    queue.push(...splitter.push(chunk));
    if (queue.length >= HIGH_WATER) command.stdout.pause();
    notify();
  });
  const stderrLines = new RecordSplitter('newline');
  command.stderr.on('data', (chunk: Buffer) => {
    for (const line of stderrLines.push(chunk)) options.onStderr?.(line.toString('utf8'));
  });
  command.exited.then(
    () => {
      const tail = splitter.flush();
      if (tail) queue.push(tail);
      const errTail = stderrLines.flush();
      if (errTail) options.onStderr?.(errTail.toString('utf8'));
      done = true;
      notify();
    },
    (e: unknown) => {
      failure = e;
      done = true;
      notify();
    },
  );

  async function* records(): AsyncGenerator<Buffer> {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        if (queue.length < HIGH_WATER / 2 && command.stdout.isPaused()) command.stdout.resume();
        yield next;
        continue;
      }
      if (done) {
        if (failure) throw failure;
        return;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }

  return {
    [Symbol.asyncIterator]: records,
    stop: () => command.stop(),
    exited: command.exited,
  };
}
