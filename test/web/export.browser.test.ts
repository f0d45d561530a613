/**
 * The Export link in a real Chromium against a real server: an admin
 * downloads the archive (a gzip'd tar whose manifest lists the device); a
 * viewer sees no link, and the route refuses the viewer's session.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/server.js';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices } from '../helpers/cli.js';
import { describeWith } from '../helpers/components.js';
import { MARKER, seedHistory } from '../archive/archive-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const BUILT_UI = join(process.cwd(), 'dist', 'web', 'index.html');

describeWith('Chromium (apt-get install chromium)', existsSync(CHROMIUM), 'Export link in Chromium', () => {
  let dir: string;
  let services: Services;
  let server: RunningServer;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(BUILT_UI)) throw new Error('dist/web is missing: run "npm run build" first');
    dir = mkdtempSync(join(tmpdir(), 'cw-ui-export-'));
    services = await openInitialisedServices(join(dir, 'home'));
    await seedHistory(services.store);
    await services.auth.addUser('adm', 'admin', 'adm-password');
    await services.auth.addUser('view', 'viewer', 'view-password');
    server = await startServer(services, { host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const login = async (user: string): Promise<Page> => {
    const page = await (await browser.newContext({ acceptDownloads: true })).newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(server.url);
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(`${user}-password`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    return page;
  };

  it('downloads the archive for an admin', async () => {
    const page = await login('adm');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^confwatch-export-.*\.tar\.gz$/);
    const saved = join(dir, 'download.tar.gz');
    await download.saveAs(saved);
    const tar = gunzipSync(readFileSync(saved));
    expect(tar.includes('"format":"confwatch-archive"')).toBe(true);
    expect(tar.includes(MARKER)).toBe(true);
    expect(problems).toEqual([]);
  }, 60_000);

  it('shows a viewer no Export link, and refuses the viewer the archive', async () => {
    const page = await login('view');
    expect(await page.getByRole('link', { name: 'Export' }).count()).toBe(0);
    const status = await page.evaluate(async () => (await fetch('/api/export')).status);
    expect(status).toBe(403);
  }, 60_000);
});
