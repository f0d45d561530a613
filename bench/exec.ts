/**
 * Per-request latency over loopback ssh: a new exec channel (remote login
 * shell each time) against the persistent shell (`run`), SFTP `readFile`
 * and shell `stat`. Reports medians and p95 in milliseconds.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { sh } from '../src/transport/quote.js';
import { SshTransport } from '../src/transport/ssh/ssh.transport.js';
import { startSshd } from './helpers/sshd.js';

async function measure(count: number, task: () => Promise<unknown>): Promise<{ medianMs: number; p95Ms: number }> {
  await task(); // warm up: opens the channel
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await task();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Number(times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(2));
  return { medianMs: at(0.5), p95Ms: at(0.95) };
}

export async function run(): Promise<object> {
  const sshd = await startSshd();
  const t = new SshTransport({ host: sshd.host, port: sshd.port, user: sshd.user, identityFile: sshd.clientKeyPath, hostKey: { pinned: sshd.hostKeyFingerprint } });
  const file = `/tmp/cw-bench-${process.pid}`;
  writeFileSync(file, 'x'.repeat(4096));
  try {
    return {
      scenario: 'exec',
      machine: { cores: cpus().length, node: process.version },
      parameters: { transport: 'ssh loopback', execRequests: 20, otherRequests: 200, fileBytes: 4096 },
      exec: await measure(20, () => t.exec(['true'])),
      run: await measure(200, () => t.run(sh`true`)),
      readFileSftp: await measure(200, () => t.readFile(file)),
      stat: await measure(200, () => t.stat(file)),
    };
  } finally {
    await t.close();
    await sshd.stop();
  }
}

