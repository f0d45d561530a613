import type { Command } from 'commander';
import type { ConfwatchEvent } from '../../events/event-map.js';
import { displayPath } from '../../transport/remote-path.js';
import type { CommandEnv } from '../options.js';

/** `scan` (one full scan now) and `watch` (foreground monitoring, NDJSON events). */
export function registerMonitorCommands(program: Command, { ctx, output }: CommandEnv): void {
  program
    .command('scan')
    .argument('<name>', 'device')
    .description('one full scan now; stores every file that changed since the last version')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const out = output(opts);
      const { monitoring, analysis } = await ctx.services();
      if (!out.json) out.note(`scanning ${name}…`);
      const result = await monitoring.scan(name);
      await analysis.idle();
      out.result(result, (r) => `${r.device}: ${r.listed} files listed, ${r.changed} changed, ${r.stored} versions stored in ${r.durationMs} ms`);
    });

  program
    .command('watch')
    .argument('[names...]', 'devices (default: all)')
    .description('monitor in the foreground; prints events until SIGINT/SIGTERM')
    .option('--json', 'NDJSON events on stdout')
    .action(async (names: string[], opts: { json?: boolean }) => {
      const out = output(opts);
      const { monitoring, bus } = await ctx.services();
      const unsubscribe = bus.subscribe((event) => out.line(event, describeEvent(event)));
      const monitor = monitoring.monitor(names);
      await monitor.start();
      if (!out.json) out.note(`watching ${monitor.devices().map((d) => d.name).join(', ') || 'no devices'}; Ctrl-C to stop`);
      await waitForSignal();
      if (!out.json) out.note('stopping…');
      await monitor.stop();
      unsubscribe();
    });
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals) => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

export function describeEvent(e: ConfwatchEvent): string {
  const head = `${e.at} ${e.device} ${e.type}`;
  switch (e.type) {
    case 'config.changed':
      return `${head} ${e.changeType} ${displayPath(e.path)} (${e.source}, ${e.snapshotId})`;
    case 'config.changeset':
      return `${head} ${e.title}`;
    case 'watch.mode':
      return `${head} ${e.mode}: ${e.reason}`;
    case 'device.disconnected':
      return `${head} ${e.reason}`;
    case 'file.event':
      return `${head} ${e.events.join(',')} ${displayPath(e.path)}`;
    default:
      return head;
  }
}
