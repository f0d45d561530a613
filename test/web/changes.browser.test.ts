/**
 * A change request's page in a real Chromium against a real server: an
 * approver opens a request another user proposed, sees its diff and
 * impact, approves it with a comment and applies it; the server records
 * the approval and the file on the (local) device is written.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/server.js';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices } from '../helpers/cli.js';
import { describeWith } from '../helpers/components.js';

const CHROMIUM = '/usr/bin/chromium';
const BUILT_UI = join(process.cwd(), 'dist', 'web', 'index.html');
const compose = (extra: string) => `services:\n  web:\n    image: nginx:1.27\n${extra}`;

describeWith('Chromium (apt-get install chromium)', existsSync(CHROMIUM), 'change request page in Chromium', () => {
  let dir: string;
  let root: string;
  let services: Services;
  let server: RunningServer;
  let browser: Browser;
  let id: string;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(BUILT_UI)) throw new Error('dist/web is missing: run "npm run build" first');
    dir = mkdtempSync(join(tmpdir(), 'cw-ui-changes-'));
    root = join(dir, 'host');
    mkdirSync(root);
    writeFileSync(join(root, 'compose.yaml'), compose(''));
    services = await openInitialisedServices(join(dir, 'home'));
    await services.auth.addUser('alice', 'operator', 'alice-password');
    await services.auth.addUser('bob', 'approver', 'bob-password');
    await services.devices.add({ name: 'app', local: true, watch: [`${root}/**`] });
    await services.monitoring.scan('app');
    await services.settled();
    const proposed = await services.changes.propose('alice', {
      title: 'add a cache',
      changes: [{ device: 'app', path: join(root, 'compose.yaml'), source: { kind: 'content', content: Buffer.from(compose('  cache:\n    image: redis:7\n')) } }],
    });
    id = proposed.id;
    server = await startServer(services, { host: '127.0.0.1', port: 0, driftIntervalMs: 0, complianceIntervalMs: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await services?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('approves with a comment and applies from the detail page', async () => {
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(server.url);
    await page.getByLabel('User').fill('bob');
    await page.getByLabel('Password').fill('bob-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    await page.getByRole('banner').getByRole('link', { name: 'Changes', exact: true }).click();
    await page.getByRole('link', { name: 'add a cache' }).click();
    await page.getByRole('heading', { name: 'add a cache', level: 1 }).waitFor();
    expect(await page.getByTestId('change-diff').textContent()).toContain('+  cache:');
    expect(await page.getByTestId('approval-count').textContent()).toBe('0 of 1 approvals');

    await page.getByLabel('Review comment').fill('fine by me');
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('status').filter({ hasText: 'approve: the request is now approved' }).waitFor();
    const approved = await services.changes.get(id);
    expect(approved).toMatchObject({ status: 'approved', approvals: [{ user: 'bob', comment: 'fine by me' }] });
    await page.getByTestId('reviews').getByText('approved by bob').waitFor();

    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'apply: the request is now applied' }).waitFor();
    expect(readFileSync(join(root, 'compose.yaml'), 'utf8')).toBe(compose('  cache:\n    image: redis:7\n'));
    expect(problems).toEqual([]);
  }, 90_000);
});
