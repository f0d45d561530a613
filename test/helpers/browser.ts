/**
 * A real Chromium (Debian's, driven by playwright-core) against a real
 * server on a fresh confwatch home: the bed the UI suites share. Users made
 * by `prepare` log in with the password `<name>-password`.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import { type RunningServer, type ServerOptions, startServer } from '../../src/api/server.js';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices } from './cli.js';
import { describeWith } from './components.js';

export const CHROMIUM = '/usr/bin/chromium';
const BUILT_UI = join(process.cwd(), 'dist', 'web', 'index.html');

/** `describe` for suites that need Chromium (see describeUnless). */
export function describeWithChromium(name: string, body: () => void): void {
  describeWith('Chromium (apt-get install chromium)', existsSync(CHROMIUM), name, body);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

export interface UiBed {
  /** The bed's temporary directory (the home is `home` inside it). */
  readonly dir: string;
  readonly services: Services;
  readonly server: RunningServer;
  readonly browser: Browser;
  /** Uncaught errors of every page opened with `login`; a suite expects none. */
  readonly problems: string[];
  /** A fresh browser context logged in as `user`, on the dashboard. */
  login(user: string, context?: BrowserContextOptions): Promise<Page>;
  close(): Promise<void>;
}

export async function openUiBed(
  name: string,
  prepare: (services: Services, dir: string) => Promise<void>,
  serverOptions: Partial<ServerOptions> = {},
): Promise<UiBed> {
  if (!existsSync(BUILT_UI)) throw new Error('dist/web is missing: run "npm run build" first');
  const dir = mkdtempSync(join(tmpdir(), `cw-ui-${name}-`));
  const services = await openInitialisedServices(join(dir, 'home'));
  await prepare(services, dir);
  const server = await startServer(services, { host: '127.0.0.1', port: 0, ...serverOptions });
  const browser = await launchChromium();
  const problems: string[] = [];
  return {
    dir,
    services,
    server,
    browser,
    problems,
    async login(user, context = {}) {
      const page = await (await browser.newContext(context)).newPage();
      page.on('pageerror', (error) => problems.push(error.message));
      await page.goto(server.url);
      await page.getByLabel('User').fill(user);
      await page.getByLabel('Password').fill(`${user}-password`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Devices' }).waitFor();
      return page;
    },
    async close() {
      await browser.close();
      await server.close();
      await services.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
