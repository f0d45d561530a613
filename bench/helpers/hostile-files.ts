/**
 * The hostile files of the `hostile` bench, and the writer that feeds them
 * to device `a` round after round. The writer runs in a worker thread of
 * its own (bench/hostile.ts starts this module as one): building and
 * writing megabytes a second is the harness's work, and must not count
 * against the server's event loop the bench measures.
 */
import { readlinkSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

export const HOSTILE_NAMES = ['if-80k', 'if-1mib', 'unrelated', 'compose', 'deep'] as const;

const lines = (prefix: string, count: number, round: number) =>
  `${Array.from({ length: count }, (_, i) => `${prefix}_${i} = ${((i * 2_654_435_761 + round) % 1_000_003).toString(36)}`).join('\n')}\n`;

/** The hostile files of round `round` (each round's bytes differ, so each is a new version), by path under a's root. */
export function hostileFiles(round: number, only: readonly string[]): Record<string, string> {
  const tag = `# round ${round}\n`;
  const ifFile = (spaces: number) => `${tag}server {\n  location / {\n    if "(x${' '.repeat(spaces)}x)" { return 403; }\n  }\n}\n`;
  const depth = 30_000;
  const files: Record<(typeof HOSTILE_NAMES)[number], [string, () => string]> = {
    'if-80k': ['nginx/if-80k.conf', () => ifFile(80_000)],
    'if-1mib': ['nginx/if-1mib.conf', () => ifFile(1024 * 1024 - 200)],
    // two unrelated versions, alternating
    unrelated: ['generic/unrelated.ini', () => lines(round % 2 === 0 ? 'alpha' : 'beta', 8_000, round)],
    compose: ['stack/compose.yaml', () => `${tag}services:\n  web:\n    image: nginx\n    environment:\n      HOSTILE: "${'${A:-'.repeat(depth)}${'x'.repeat(300_000 - 6 * depth)}${'}'.repeat(depth)}"\n`],
    deep: ['generic/deep.yaml', () => `${tag}- ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`],
  };
  return Object.fromEntries(only.map((name) => { const [path, content] = files[name as (typeof HOSTILE_NAMES)[number]]; return [path, content()]; }));
}


/** What the writer thread is started with. */
export interface WriterData {
  readonly root: string;
  readonly only: readonly string[];
  readonly intervalMs: number;
}

if (!isMainThread && parentPort) {
  const port = parentPort;
  // the hostile host is another machine in life: its writes must not take the server's core here
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, 10);
  } catch {
    // not Linux: the writer shares the cores at the same priority
  }
  const { root, only, intervalMs } = workerData as WriterData;
  let stopping = false;
  port.once('message', () => {
    stopping = true;
  });
  for (let round = 0; !stopping; round++) {
    for (const [path, content] of Object.entries(hostileFiles(round, only))) writeFileSync(join(root, path), content);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  port.postMessage('stopped');
}
