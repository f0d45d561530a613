/**
 * The Alerts page in a real Chromium against a real server: an admin adds a
 * channel (a JSON webhook on loopback), sees it listed with its secret
 * masked, tests it (the receiver gets the message) and finds the delivery
 * in the log; a viewer sees the log but no channel management.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../../bench/helpers/receivers.js';
import { type RunningServer, startServer } from '../../src/api/server.js';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices } from '../helpers/cli.js';
import { describeWith } from '../helpers/components.js';

const CHROMIUM = '/usr/bin/chromium';
const BUILT_UI = join(process.cwd(), 'dist', 'web', 'index.html');

describeWith('Chromium (apt-get install chromium)', existsSync(CHROMIUM), 'Alerts page in Chromium', () => {
  let dir: string;
  let services: Services;
  let server: RunningServer;
  let receiver: HttpReceiver;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(BUILT_UI)) throw new Error('dist/web is missing: run "npm run build" first');
    dir = mkdtempSync(join(tmpdir(), 'cw-ui-alerts-'));
    services = await openInitialisedServices(join(dir, 'home'));
    await services.auth.addUser('adm', 'admin', 'adm-password');
    await services.auth.addUser('view', 'viewer', 'view-password');
    server = await startServer(services, { host: '127.0.0.1', port: 0 });
    receiver = await startHttpReceiver();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.close();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const login = async (user: string): Promise<Page> => {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(server.url);
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(`${user}-password`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    await page.getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    return page;
  };

  it('adds, tests and removes a channel, and shows the delivery in the log', async () => {
    const page = await login('adm');
    await page.getByLabel('Name').first().fill('hook');
    await page.getByLabel('URL').fill(`json://127.0.0.1:${receiver.port}/hook?secret=UiSecret1`);
    await page.getByRole('button', { name: 'Add channel' }).click();
    const channels = page.getByTestId('alert-channels');
    await channels.getByText('hook').first().waitFor();
    expect(await channels.textContent()).toContain('secret=****');
    expect(await page.content()).not.toContain('UiSecret1');

    await channels.getByRole('button', { name: 'Test' }).click();
    await page.getByRole('status').filter({ hasText: 'hook: delivered (200)' }).waitFor();
    expect(receiver.requests).toHaveLength(1);
    await page.reload();
    await page.getByTestId('alert-log').getByText('confwatch test message for channel hook').waitFor();

    await page.getByTestId('alert-channels').getByRole('button', { name: 'Remove' }).click();
    await page.getByText('removed hook').waitFor();
    expect(await services.alerts.listChannels()).toEqual([]);
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows a viewer the delivery log and no channel management', async () => {
    const page = await login('view');
    await page.getByTestId('alert-log').getByText('confwatch test message for channel hook').waitFor();
    expect(await page.getByRole('heading', { name: 'Channels' }).count()).toBe(0);
  }, 60_000);
});
