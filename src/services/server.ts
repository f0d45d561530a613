/**
 * `confwatch serve`: the API (and UI, when built) plus monitoring of every
 * device, in one process. Stopping closes the HTTP server first, then the
 * monitor (so no watcher is left on any host), then the store.
 */
import type { FastifyPluginAsync } from 'fastify';
import { buildApp } from '../api/app.js';
import type { Logger } from '../logging.js';
import type { Services } from './services.js';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** Route plugins of optional features (write-back…), registered inside the guard. */
  readonly features?: readonly FastifyPluginAsync[];
  readonly log?: Logger;
}

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startServer(services: Services, options: ServerOptions): Promise<RunningServer> {
  const app = await buildApp(
    {
      store: services.store,
      bus: services.bus,
      devices: services.devices,
      auth: services.auth,
      audit: services.audit,
      ...(options.features ? { features: options.features } : {}),
    },
    { webUi: true },
  );
  await services.writeback.recoverBatches();
  const monitor = services.monitoring.monitor();
  await monitor.start();
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await monitor.stop();
    await app.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    async close() {
      await app.close();
      await monitor.stop();
    },
  };
}
