/**
 * While `serve` watches a host, everything else it does there shares that
 * connection: validation on capture of 50 files, an API restore with
 * reload and a drift check open no new SSH connection. sshd logs one
 * `Accepted` line per authenticated connection, so its count must not move.
 * Real sshd, real inotifywait, the in-process server.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/server.js';
import { readEnvironment } from '../../src/config/environment.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { tempHome } from '../helpers/cli.js';
import { recordEvents, until } from '../helpers/monitor.js';
import { describeWithSshd, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { customProfile, sshDevice } from '../helpers/store.js';

const FILES = 50;
const SETTLED_MS = 60_000;

describeWithSshd('one connection per device while serve runs', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'host');
  const device = `one${Date.now().toString(36)}`;
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
  const validated = async (count: number) =>
    until(
      async () => (await services.store.listTrackedFiles(device)).filter((f) => f.validationStatus === 'valid').length >= count,
      `${count} files validated on capture`,
      SETTLED_MS,
      200,
    );
  const captured = (path: string, after: number) =>
    until(
      () => events.flatMap((e) => (e.id > after && e.type === 'config.changed' && e.path === path ? [e.snapshotId] : []))[0],
      `a change of ${path} captured`,
      SETTLED_MS,
    );

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    sshd = await startSshd({ logLevel: 'INFO' });
    const environment = readEnvironment({ CONFWATCH_HOME: t.home });
    token = (await initHome(environment)).adminToken as string;
    services = await openServices(environment);
    events = recordEvents(services.bus);
    server = await startServer(services, { host: '127.0.0.1', port: 0, driftIntervalMs: 0 });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await services?.close();
    await sshd?.stop();
    t.remove();
  });

  it('validation on capture, a restore with reload and a drift check reuse the watch connection', async () => {
    await services.store.addDevice(sshDevice(device, sshd, { mode: 'realtime' }), [
      customProfile(device, [`${root}/**`], { validateOnCapture: true, validateCommand: 'cat {file} >/dev/null', reloadCommand: 'true' }),
    ]);
    await until(() => events.some((e) => e.device === device && e.type === 'watch.mode' && e.mode === 'realtime'), 'realtime', SETTLED_MS);
    const main = join(root, 'main.conf');
    writeFileSync(main, 'first\n');
    const first = await captured(main, 0);
    await validated(1);
    const connections = sshd.acceptedLogins();
    expect(connections).toBeGreaterThan(0);

    for (let i = 0; i < FILES; i++) writeFileSync(join(root, `f${i}.conf`), `file ${i}\n`);
    await validated(1 + FILES);

    const mark = services.bus.lastId;
    writeFileSync(main, 'second\n');
    await captured(main, mark);
    const restore = await api('POST', `/api/snapshots/${first}/restore`, { reload: true });
    expect(restore.status).toBe(200);
    expect(await restore.json()).toMatchObject({ reload: { command: 'true', code: 0 } });

    const drift = await api('GET', `/api/drift?device=${device}`);
    expect(drift.status).toBe(200);

    const live = (await (await api('GET', `/api/devices/${device}`)).json()) as { device: { live: unknown } };
    expect(live.device.live).toMatchObject({ connected: true, watchMode: 'realtime', files: 1 + FILES, invalid: 0 });
    expect(sshd.acceptedLogins()).toBe(connections);
  }, 180_000);
});
