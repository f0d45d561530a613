/**
 * A running `serve` follows device changes without a restart: a device
 * added over the API and one added with the CLI (another process) are
 * watched within seconds, and a removed one is disconnected — its remote
 * inotifywait gone. Real sshd, real inotifywait, the built CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/server.js';
import { readEnvironment } from '../../src/config/environment.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { runCli, tempHome } from '../helpers/cli.js';
import { recordEvents, until } from '../helpers/monitor.js';
import { describeWithSshd, type RunningSshd, sshdConnection, startSshd } from '../helpers/sshd.js';

/** Within this long of a change in the store, a running server connects to an added device (the bound). */
const PICKED_UP_MS = 10_000;
/**
 * Then realtime watching and a capture follow; on a loaded machine the SSH
 * handshake, probe and start scan alone take several seconds, so this
 * bound is looser (bench figures, not tests, say how fast it is).
 */
const SETTLED_MS = 30_000;

/** Command lines of the inotifywait processes a device's watcher started on the host (this machine). */
const remoteWatchers = (device: string): string[] =>
  execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(`confwatch-watch:${device}:`));

describeWithSshd('serve follows device changes', () => {
  const t = tempHome();
  const rootApi = join(t.home, '..', 'host-api');
  const rootCli = join(t.home, '..', 'host-cli');
  // names unique to this run: other suites may watch on this machine meanwhile
  const suffix = Date.now().toString(36);
  const viaApi = `api${suffix}`;
  const viaCli = `cli${suffix}`;
  let sshd: RunningSshd;
  let services: Services;
  let server: RunningServer;
  let token: string;
  let events: ConfwatchEvent[];

  const api = (method: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  const connected = (device: string) => until(() => events.some((e) => e.device === device && e.type === 'device.connected'), `${device} connected`, PICKED_UP_MS);
  const realtime = (device: string) => until(() => events.some((e) => e.device === device && e.type === 'watch.mode' && e.mode === 'realtime'), `${device} in realtime`, SETTLED_MS);
  const captured = (device: string, path: string) =>
    until(() => events.find((e) => e.device === device && e.type === 'config.changed' && e.path === path), `a change of ${path} captured`, SETTLED_MS);
  const disconnected = (device: string) =>
    until(() => events.some((e) => e.device === device && e.type === 'device.disconnected'), `${device} disconnected`, PICKED_UP_MS);

  beforeAll(async () => {
    mkdirSync(rootApi, { recursive: true });
    mkdirSync(rootCli, { recursive: true });
    sshd = await startSshd();
    const environment = readEnvironment({ CONFWATCH_HOME: t.home });
    token = (await initHome(environment)).adminToken as string;
    services = await openServices(environment);
    events = recordEvents(services.bus);
    server = await startServer(services, { host: '127.0.0.1', port: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await services?.close();
    await sshd?.stop();
    t.remove();
  });

  it('watches a device added over the API within seconds', async () => {
    const response = await api('POST', '/api/devices', {
      name: viaApi,
      ...sshdConnection(sshd),
      mode: 'realtime',
      watch: [`${rootApi}/**`],
    });
    expect(response.status).toBe(201);
    await connected(viaApi);
    await realtime(viaApi);
    writeFileSync(join(rootApi, 'app.conf'), 'listen 80;\n');
    await captured(viaApi, join(rootApi, 'app.conf'));
  });

  it('watches a device added with the CLI, another process, within seconds', async () => {
    const added = await runCli(
      [
        'device',
        'add',
        viaCli,
        '--host',
        sshd.host,
        '--port',
        String(sshd.port),
        '--user',
        sshd.user,
        '--identity',
        sshd.clientKeyPath,
        '--host-key',
        sshd.hostKeyFingerprint,
        '--mode',
        'realtime',
        '--watch',
        `${rootCli}/**`,
        '--json',
      ],
      { env: t.env },
    );
    expect(added.code, added.stderr).toBe(0);
    await connected(viaCli);
    await realtime(viaCli);
    writeFileSync(join(rootCli, 'app.conf'), 'listen 81;\n');
    await captured(viaCli, join(rootCli, 'app.conf'));
  });

  it('disconnects a device removed with the CLI: its remote inotifywait is gone', async () => {
    expect(remoteWatchers(viaApi)).not.toEqual([]);
    const removed = await runCli(['device', 'remove', viaApi, '--json'], { env: t.env });
    expect(removed.code, removed.stderr).toBe(0);
    await disconnected(viaApi);
    await until(() => remoteWatchers(viaApi).length === 0, `no inotifywait left for ${viaApi}`, 5_000);
    // the other device is untouched
    writeFileSync(join(rootCli, 'app.conf'), 'listen 82;\n');
    await until(() => events.filter((e) => e.device === viaCli && e.type === 'config.changed').length >= 2, 'a second change captured', SETTLED_MS);
  });

  it('disconnects a device removed over the API', async () => {
    expect(remoteWatchers(viaCli)).not.toEqual([]);
    const response = await api('DELETE', `/api/devices/${viaCli}`);
    expect(response.status).toBe(204);
    await disconnected(viaCli);
    await until(() => remoteWatchers(viaCli).length === 0, `no inotifywait left for ${viaCli}`, 5_000);
  });
});
