/**
 * A confwatch server for browser tests, composed in-process the way `serve`
 * composes it: a SQLite store in a temp home, the in-process bus, the
 * monitoring of one SSH device whose watched files live in `watchDir`, the
 * API, and the built UI (dist/web) on the same origin. One HTTP listener on
 * loopback routes `/api/*` to the API and everything else to the UI plugin.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { buildApp } from '../../src/api/app.js';
import { installErrorHandler } from '../../src/api/plugins/error-handler.js';
import { webUiPlugin } from '../../src/api/plugins/web-ui.plugin.js';
import { AuditRecorder } from '../../src/auth/audit-recorder.js';
import { AuthRepository } from '../../src/auth/auth.repository.js';
import type { ConfwatchEvent } from '../../src/events/event-map.js';
import { MemoryEventBus } from '../../src/events/memory.bus.js';
import { AuthService } from '../../src/services/auth.service.js';
import { DeviceService } from '../../src/services/device.service.js';
import { MonitoringService } from '../../src/services/monitoring.service.js';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import { resolveProfiles } from '../../src/watch/profiles.js';
import type { RunningSshd } from '../helpers/sshd.js';

/** Users the server is seeded with; the password of each is `<name>-password`. */
export const UI_USERS = ['viewer', 'operator'] as const;

export interface UiServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly device: string;
  readonly store: KyselyStore;
  /** Every route the API registered, as `METHOD url`. */
  readonly apiRoutes: ReadonlySet<string>;
  /** Resolves with the first bus event matching `match` (including ones already seen). */
  waitForEvent(match: (event: ConfwatchEvent) => boolean, timeoutMs?: number): Promise<ConfwatchEvent>;
  close(): Promise<void>;
}

export async function startUiServer(options: { sshd: RunningSshd; device: string; watchGlob: string }): Promise<UiServer> {
  const home = mkdtempSync(join(tmpdir(), 'cw-ui-home-'));
  createMasterKeyFile(home);
  const store = await openStore({ home, env: {} });
  const bus = new MemoryEventBus();
  const seen: ConfwatchEvent[] = [];
  bus.subscribe((event) => seen.push(event));
  const audit = new AuditRecorder(store);
  const auth = new AuthService(new AuthRepository(store.db), audit);
  for (const user of UI_USERS) await auth.addUser(user, user, `${user}-password`);

  const { sshd, device } = options;
  await store.addDevice(
    {
      name: device,
      transport: 'ssh',
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      identityFile: sshd.clientKeyPath,
      hostKey: sshd.hostKeyFingerprint,
      mode: 'auto',
      pollIntervalSec: 5,
      sudo: false,
      jump: null,
      tags: ['browser-test'],
    },
    resolveProfiles(device, { profiles: [], watch: [options.watchGlob], exclude: [] }),
  );
  const devices = new DeviceService(store);
  const monitor = new MonitoringService(store, bus, devices).monitor();
  await monitor.start();

  const apiRoutes = new Set<string>();
  const api = await buildApp(
    { store, bus, devices, auth, audit },
    {
      onRoute: (route) => {
        for (const method of [route.method].flat()) apiRoutes.add(`${method} ${route.url}`);
      },
    },
  );
  const ui = Fastify();
  installErrorHandler(ui);
  await ui.register(webUiPlugin());
  await ui.ready();

  const server: Server = createServer((req, res) => (req.url?.startsWith('/api') ? api : ui).routing(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    device,
    store,
    apiRoutes,
    async waitForEvent(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = seen.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('timed out waiting for an event');
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await monitor.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await api.close();
      await ui.close();
      await store.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
