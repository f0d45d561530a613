import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ConfwatchError } from '../../errors.js';
import { ensureLocalDevice } from '../../services/embedded.service.js';
import { initHome } from '../../services/init.service.js';
import { startServer } from '../../api/server.js';
import { type CommandEnv, intOption } from '../main.js';
import { waitForSignal } from './monitor.command.js';

export function registerServeCommand(program: Command, { ctx, output }: CommandEnv): void {
  program
    .command('serve')
    .description('run the API, the web UI and monitoring of every device')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port', intOption('--port'), 7474)
    .option('--drift-interval <seconds>', 'check every device for drift this often (0: never)', intOption('--drift-interval'), 1800)
    .option('--embedded', 'first run on this machine: init if needed and watch this host as the `local` device')
    .option('--json', 'NDJSON status lines on stdout')
    .action(async (opts: { host: string; port: number; driftInterval: number; embedded?: boolean; json?: boolean }) => {
      const out = output(opts);
      if (opts.port < 1 || opts.port > 65535) throw new ConfwatchError('CW_ERR_USAGE', '--port must be 1–65535');
      const init = opts.embedded ? await initHome(ctx.environment) : undefined;
      if (init) {
        if (init.created) out.note(`created ${init.home}`);
        if (init.adminToken) out.note(`admin API token (shown once, store it now): ${init.adminToken}`);
      }
      const services = await ctx.services();
      if (opts.embedded) {
        if (init?.adminToken) {
          // First run: a password too, so the web UI can be opened at once.
          const password = randomBytes(12).toString('base64url');
          await services.auth.updateUser('admin', { password });
          out.note(`web UI login (shown once): admin / ${password}`);
        }
        const local = await ensureLocalDevice(services);
        if (local?.created) out.note(`watching this host as device "local": ${local.profiles.map((p) => p.name).join(', ')}`);
      }
      services.bus.subscribe((event) => {
        if (event.type === 'watch.mode') out.line(event, `${event.device}: ${event.mode} (${event.reason})`);
        else if (event.type === 'device.disconnected') out.line(event, `${event.device}: disconnected (${event.reason})`);
      });
      const server = await startServer(services, { host: opts.host, port: opts.port, driftIntervalMs: opts.driftInterval * 1000 });
      out.line({ type: 'serve.listening', url: server.url }, `confwatch listening on ${server.url}`);
      await waitForSignal();
      out.note('stopping…');
      await server.close();
    });
}
