/**
 * The HTTP API: `buildApp(deps)` returns a ready Fastify instance (not
 * listening). Public routes (health, login, OpenAPI) are registered
 * outside the guard; everything else inside it, so a route is closed
 * unless it declares otherwise. A route without a declared scope fails
 * registration.
 */
import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import type { EventBus } from '../events/event-bus.js';
import type { AuthService } from '../services/auth.service.js';
import type { DeviceService } from '../services/device.service.js';
import { DiffService } from '../services/diff.service.js';
import { HistoryService } from '../services/history.service.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { installErrorHandler } from './plugins/error-handler.js';
import { guarded } from './plugins/guard.js';
import { openApiRoutes, registerOpenApi } from './plugins/openapi.js';
import { assertDeclaredScope } from './plugins/route-config.js';
import { type WebUiOptions, webUiPlugin } from './plugins/web-ui.plugin.js';
import { auditRoutes } from './routes/audit.routes.js';
import { loginRoutes, sessionRoutes } from './routes/auth.routes.js';
import { changeSetRoutes } from './routes/change-sets.routes.js';
import { deviceRoutes } from './routes/devices.routes.js';
import { diffRoutes } from './routes/diff.routes.js';
import { type EventRouteOptions, eventRoutes } from './routes/events.routes.js';
import { fileRoutes } from './routes/files.routes.js';
import { healthRoutes } from './routes/health.routes.js';
import { historyRoutes } from './routes/history.routes.js';
import { snapshotRoutes } from './routes/snapshots.routes.js';
import { userRoutes } from './routes/users.routes.js';

export interface AppDeps {
  readonly store: SnapshotStore;
  readonly bus: EventBus;
  readonly devices: DeviceService;
  readonly auth: AuthService;
  readonly audit: AuditRecorder;
  /** Defaults to a HistoryService over the store. */
  readonly history?: HistoryService;
  /** Defaults to a DiffService over the store. */
  readonly diffs?: DiffService;
  /**
   * Route plugins of features built elsewhere (validation, restore, drift,
   * rollback plans, batches, dependency graph), registered inside the guard
   * like every other route: each must declare its scope.
   */
  readonly features?: readonly FastifyPluginAsync[];
}

export interface AppOptions {
  /** Fastify logger setting. Default false. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Largest accepted request body in bytes (larger → 413). Default 1 MiB. */
  readonly bodyLimit?: number;
  /** Mark the session cookie Secure (serving behind HTTPS). Default false. */
  readonly secureCookies?: boolean;
  /** Trust X-Forwarded-For from this proxy setting (client addresses in the audit log). Default false. */
  readonly trustProxy?: FastifyServerOptions['trustProxy'];
  /** Event stream limits (slow-client bound, heartbeat interval). */
  readonly events?: EventRouteOptions;
  /** Serve the built web UI (dist/web) outside /api. Default false. */
  readonly webUi?: boolean | WebUiOptions;
  /** Called for every registered route (tests enumerate routes with it). */
  readonly onRoute?: (route: { method: string | string[]; url: string; scope: string | undefined }) => void;
}

export async function buildApp(deps: AppDeps, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    trustProxy: options.trustProxy ?? false,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  app.decorateRequest('auditTarget', null);
  app.decorateRequest('auditAction', null);
  installErrorHandler(app);
  app.addHook('onRoute', (route) => {
    options.onRoute?.({ method: route.method, url: route.url, scope: route.config?.scope });
    assertDeclaredScope(route);
  });

  app.addHook('onSend', async (_request, reply, payload) => {
    // API answers are per-caller (redaction, scopes): never cached, never sniffed into HTML.
    reply.header('cache-control', 'no-store').header('x-content-type-options', 'nosniff');
    return payload;
  });

  await registerOpenApi(app);
  const secureCookies = options.secureCookies ?? false;
  const history = deps.history ?? new HistoryService(deps.store);
  const diffs = deps.diffs ?? new DiffService(deps.store);

  await app.register(healthRoutes);
  await app.register(openApiRoutes);
  await app.register(loginRoutes({ auth: deps.auth, secureCookies }));
  await app.register(
    guarded({ auth: deps.auth, audit: deps.audit }, async (api) => {
      await api.register(sessionRoutes({ auth: deps.auth, secureCookies }));
      await api.register(deviceRoutes(deps.devices));
      await api.register(fileRoutes(deps.store, deps.devices));
      await api.register(snapshotRoutes(deps.store));
      await api.register(historyRoutes(history));
      await api.register(diffRoutes(diffs));
      await api.register(changeSetRoutes(deps.store));
      await api.register(auditRoutes(deps.store));
      await api.register(userRoutes(deps.auth));
      await api.register(eventRoutes(deps.bus, deps.auth, options.events));
      for (const feature of deps.features ?? []) await api.register(feature);
    }),
  );
  if (options.webUi) await app.register(webUiPlugin(options.webUi === true ? {} : options.webUi));
  await app.ready();
  return app;
}
