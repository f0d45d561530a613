/**
 * `confwatch serve`: the API (and UI, when built) plus monitoring of every
 * device, in one process; devices added, changed or removed while it runs
 * (API or CLI) are picked up within seconds. Stopping closes the HTTP server first, then the
 * monitor (so no watcher is left on any host), then the store.
 */
import type { FastifyPluginAsync } from 'fastify';
import { buildApp } from './app.js';
import { complianceRoutes } from './routes/compliance.routes.js';
import { depsRoutes } from './routes/deps.routes.js';
import { validationRoutes } from './routes/validation.routes.js';
import { writebackRoutes } from './routes/writeback.routes.js';
import type { Logger } from '../logging.js';
import { DEFAULT_COMPLIANCE_INTERVAL_MS } from '../services/compliance.service.js';
import type { Services } from '../services/services.js';
import type { AlertsRunOptions } from '../services/alert.service.js';
import { alertRoutes } from './routes/alerts.routes.js';
import { changeRequestRoutes } from './routes/change-requests.routes.js';
import { templateRoutes } from './routes/templates.routes.js';
import { exportRoutes } from './routes/export.routes.js';

export interface ServerOptions {
  readonly host: string;
  readonly port: number;
  /** Route plugins of the features, registered inside the guard. Default `featureRoutes(services)`. */
  readonly features?: readonly FastifyPluginAsync[];
  readonly log?: Logger;
  /** How often every device is checked for drift. Default 30 min; 0 turns it off. */
  readonly driftIntervalMs?: number;
  /**
   * The reverse proxy in front (`serve --trust-proxy`): `true` trusts the
   * one hop that connects (client address = the last X-Forwarded-For
   * entry), a list trusts those addresses/CIDRs. Default: X-Forwarded-For
   * is ignored and the client address is the peer's.
   */
  readonly trustProxy?: true | readonly string[];
  /** The URL users open (`serve --public-url`); an https URL makes the session cookie Secure. */
  readonly publicUrl?: string;
  /** How often the store is asked whether devices were added, changed or removed (by this server or the CLI). Default 2 s. */
  readonly deviceRefreshMs?: number;
  /** How often the whole fleet is judged against the compliance rules. Default 1 h; 0 turns it off. */
  readonly complianceIntervalMs?: number;
  /** Alert noise control, retry and clock settings (defaults in alerts/noise.ts and alerts/dispatcher.ts); `publicUrl` is added for links. */
  readonly alerts?: AlertsRunOptions;
}

/** The Fastify trustProxy setting for `ServerOptions.trustProxy`. */
export const fastifyTrustProxy = (trust: ServerOptions['trustProxy']): ((address: string, hop: number) => boolean) | string[] | false =>
  // hop 0 is the peer that connects: trusting only it takes the last X-Forwarded-For entry, the one the proxy added
  trust === undefined ? false : trust === true ? (_address, hop) => hop === 0 : [...trust];

export const DEFAULT_DRIFT_INTERVAL_MS = 30 * 60 * 1000;
export const DEFAULT_DEVICE_REFRESH_MS = 2_000;

export interface RunningServer {
  readonly url: string;
  close(): Promise<void>;
}

/** The routes of the features built on the services: write-back, validation, the dependency graph, compliance, alerts, change requests, templates and export. */
export function featureRoutes(
  services: Pick<Services, 'writeback' | 'validation' | 'dependencies' | 'store' | 'compliance' | 'alerts' | 'changes' | 'templates' | 'archive'> & Partial<Pick<Services, 'audit'>>,
): FastifyPluginAsync[] {
  return [
    writebackRoutes(services.writeback, services.store, services.changes),
    validationRoutes(services.validation),
    depsRoutes(services.dependencies, services.store),
    complianceRoutes(services.compliance),
    alertRoutes(services.alerts),
    changeRequestRoutes(services.changes),
    templateRoutes(services.templates),
    exportRoutes(services.archive, services.audit),
  ];
}

export async function startServer(services: Services, options: ServerOptions): Promise<RunningServer> {
  const app = await buildApp(
    {
      store: services.store,
      bus: services.bus,
      devices: services.devices,
      auth: services.auth,
      audit: services.audit,
      diffs: services.diffs,
      features: options.features ?? featureRoutes(services),
    },
    {
      webUi: true,
      trustProxy: fastifyTrustProxy(options.trustProxy),
      secureCookies: options.publicUrl !== undefined && new URL(options.publicUrl).protocol === 'https:',
    },
  );
  await services.writeback.recoverBatches();
  // before monitoring starts, so the first change set is followed; queued deliveries of an earlier run resume
  const alerts = services.alerts.start({ ...options.alerts, ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) });
  // devices change in other processes too (the CLI): the store's revision is the notification
  const monitor = services.monitoring.monitor(undefined, { refreshIntervalMs: options.deviceRefreshMs ?? DEFAULT_DEVICE_REFRESH_MS });
  await monitor.start();
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await monitor.stop();
    await alerts.stop();
    await app.close();
    throw error;
  }
  const driftIntervalMs = options.driftIntervalMs ?? DEFAULT_DRIFT_INTERVAL_MS;
  const driftTimer =
    driftIntervalMs > 0
      ? setInterval(() => {
          // Findings become config.drift.detected events and tracked-file statuses.
          services.writeback.checkDrift().catch((error: unknown) => options.log?.warn({ err: error }, 'periodic drift check failed'));
        }, driftIntervalMs)
      : undefined;
  driftTimer?.unref();
  const complianceIntervalMs = options.complianceIntervalMs ?? DEFAULT_COMPLIANCE_INTERVAL_MS;
  const complianceSchedule = complianceIntervalMs > 0 ? services.compliance.schedule(complianceIntervalMs) : undefined;
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    async close() {
      clearInterval(driftTimer);
      complianceSchedule?.stop();
      await app.close();
      await monitor.stop();
      await alerts.stop();
    },
  };
}
