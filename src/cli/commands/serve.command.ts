import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { ConfwatchError } from '../../errors.js';
import { ensureLocalDevice } from '../../services/embedded.service.js';
import { initHome } from '../../services/init.service.js';
import { startServer } from '../../api/server.js';
import { type CommandEnv, intOption } from '../options.js';
import { waitForSignal } from './monitor.command.js';

export function registerServeCommand(program: Command, { ctx, output }: CommandEnv): void {
  program
    .command('serve')
    .description('run the API, the web UI and monitoring of every device')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', 'listen port', intOption('--port'), 7474)
    .option('--drift-interval <seconds>', 'check every device for drift this often (0: never)', intOption('--drift-interval'), 1800)
    .option('--compliance-interval <seconds>', 'judge every device against the compliance rules this often (0: never)', intOption('--compliance-interval'), 3600)
    .option('--embedded', 'first run on this machine: init if needed and watch this host as the `local` device')
    .option('--trust-proxy [addresses]', 'behind a reverse proxy: take the client address from X-Forwarded-For (the proxy that connects, or only these comma-separated addresses/CIDRs)')
    .option('--public-url <url>', 'the URL users open; https://… marks the session cookie Secure')
    .option('--json', 'NDJSON status lines on stdout')
    .action(async (opts: ServeOptions) => {
      const out = output(opts);
      if (opts.port < 1 || opts.port > 65535) throw new ConfwatchError('CW_ERR_USAGE', '--port must be 1–65535');
      const publicUrl = opts.publicUrl === undefined ? undefined : parsePublicUrl(opts.publicUrl);
      const trustProxy = opts.trustProxy === undefined ? undefined : parseTrustProxy(opts.trustProxy);
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
      const server = await startServer(services, {
        host: opts.host,
        port: opts.port,
        driftIntervalMs: opts.driftInterval * 1000,
        complianceIntervalMs: opts.complianceInterval * 1000,
        ...(trustProxy !== undefined ? { trustProxy } : {}),
        ...(publicUrl !== undefined ? { publicUrl } : {}),
      });
      out.line({ type: 'serve.listening', url: server.url }, `confwatch listening on ${server.url}`);
      await waitForSignal();
      out.note('stopping…');
      await server.close();
    });
}

interface ServeOptions {
  host: string;
  port: number;
  driftInterval: number;
  complianceInterval: number;
  embedded?: boolean;
  trustProxy?: string | true;
  publicUrl?: string;
  json?: boolean;
}

function parsePublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfwatchError('CW_ERR_USAGE', `--public-url "${text}" is not a URL: give e.g. https://confwatch.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ConfwatchError('CW_ERR_USAGE', '--public-url must start with https:// or http://');
  return url.toString();
}

function parseTrustProxy(value: string | true): true | string[] {
  if (value === true) return true;
  const addresses = value.split(',').map((a) => a.trim()).filter(Boolean);
  if (addresses.length === 0) throw new ConfwatchError('CW_ERR_USAGE', '--trust-proxy takes comma-separated addresses or CIDRs, or nothing');
  return addresses;
}
