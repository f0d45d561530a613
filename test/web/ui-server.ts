/**
 * A real `confwatch serve` for browser tests, set up through the CLI as a
 * user would: `init`, a viewer and an operator user, one SSH device whose
 * watched files match `watchGlob`, then `serve` on a free loopback port.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BIN, type CliResult, runCli, tempHome } from '../helpers/cli.js';
import { freePort, type RunningSshd } from '../helpers/sshd.js';

/** Users the server is seeded with; the password of each is `<name>-password`. */
export const UI_USERS = ['viewer', 'operator'] as const;

export interface UiServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly device: string;
  /** GET an API path with the admin token; rejects on a non-2xx answer. */
  // biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
  api<T = any>(path: string): Promise<T>;
  /** True when the API documents `method path` (OpenAPI form, e.g. `/api/snapshots/{id}/restore`). */
  hasRoute(method: string, path: string): Promise<boolean>;
  close(): Promise<void>;
}

function succeeded(result: CliResult, what: string): CliResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}: ${result.stderr}`);
  return result;
}

export async function startUiServer(options: { sshd: RunningSshd; device: string; watchGlob: string }): Promise<UiServer> {
  const home = tempHome();
  const cli = (args: string[], stdin?: string) => runCli(args, { env: home.env, ...(stdin !== undefined ? { stdin } : {}) });
  const { adminToken } = succeeded(await cli(['init', '--json']), 'init').json<{ adminToken: string }>();
  for (const user of UI_USERS) succeeded(await cli(['user', 'add', user, '--role', user, '--password-stdin'], `${user}-password\n`), `user add ${user}`);
  const { sshd, device } = options;
  succeeded(
    await cli([
      'device', 'add', device,
      '--host', sshd.host, '--port', String(sshd.port), '--user', sshd.user,
      '--identity', sshd.clientKeyPath, '--host-key', sshd.hostKeyFingerprint,
      '--watch', options.watchGlob, '--poll-interval', '5',
    ]),
    'device add',
  );

  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--json'], {
    env: { ...process.env, ...home.env, CONFWATCH_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await listening(child);
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    device,
    async api(path) {
      const response = await fetch(url + path, { headers: { authorization: `Bearer ${adminToken}` } });
      if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
      return (await response.json()) as never;
    },
    async hasRoute(method, path) {
      const document = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths?: Record<string, Record<string, unknown>> };
      return document.paths?.[path]?.[method.toLowerCase()] !== undefined;
    },
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      home.remove();
    },
  };
}

/** Resolves when serve prints its `serve.listening` line; rejects if it exits first. */
function listening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (stdout.includes('"serve.listening"')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`serve exited ${code} before listening:\n${stdout}\n${stderr}`)));
  });
}
