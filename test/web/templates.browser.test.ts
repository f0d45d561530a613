/**
 * The Templates page in a real Chromium against a real server: an operator
 * adds a template from the form, renders it with variables and sees the
 * parsed output, then adds a second version and removes the template; a
 * viewer renders the built-in SWAG template (a variable the schema refuses
 * is named on the page) and has no add form.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/server.js';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices } from '../helpers/cli.js';
import { describeWith } from '../helpers/components.js';

const CHROMIUM = '/usr/bin/chromium';
const BUILT_UI = join(process.cwd(), 'dist', 'web', 'index.html');

describeWith('Chromium (apt-get install chromium)', existsSync(CHROMIUM), 'Templates page in Chromium', () => {
  let dir: string;
  let services: Services;
  let server: RunningServer;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    if (!existsSync(BUILT_UI)) throw new Error('dist/web is missing: run "npm run build" first');
    dir = mkdtempSync(join(tmpdir(), 'cw-ui-templates-'));
    services = await openInitialisedServices(join(dir, 'home'));
    await services.auth.addUser('op', 'operator', 'op-password');
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
    const page = await (await browser.newContext()).newPage();
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(server.url);
    await page.getByLabel('User').fill(user);
    await page.getByLabel('Password').fill(`${user}-password`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Devices' }).waitFor();
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { name: 'Templates', level: 1 }).waitFor();
    return page;
  };

  it('adds, renders, versions and removes a template', async () => {
    const page = await login('op');
    await page.getByLabel('Name').fill('motd');
    await page.getByLabel('Body (Liquid)').fill('Welcome to {{ host }}\n');
    await page.getByLabel('Variables schema (JSON Schema, optional)').fill('{"type":"object","required":["host"],"properties":{"host":{"type":"string"}}}');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('status').filter({ hasText: 'added motd v1' }).waitFor();
    const detail = page.getByTestId('template-detail');
    await detail.getByText('Welcome to {{ host }}').waitFor();

    await page.getByLabel('Variables (JSON)').fill('{"host": "box1"}');
    await page.getByRole('button', { name: 'Render' }).click();
    await page.getByTestId('template-render').getByText('Welcome to box1').waitFor();
    expect(await page.getByTestId('template-render').textContent()).toContain('parses');

    await page.getByLabel('Body (Liquid)').fill('Welcome to {{ host }}, v2\n');
    await page.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('status').filter({ hasText: 'added motd v2' }).waitFor();
    await detail.getByText('Versions: v2 by op, v1 by op').waitFor();

    await page.getByRole('button', { name: 'Remove motd (every version)' }).click();
    // the list reloads after the removal: the row goes away
    await page.getByTestId('templates').getByRole('button', { name: 'motd', exact: true }).waitFor({ state: 'detached' });
    expect(await page.getByTestId('templates').textContent()).not.toContain('motd');
    expect(await page.getByTestId('templates').textContent()).toContain('swag-subdomain');
    expect((await services.templates.list()).map((t) => t.name)).not.toContain('motd');
    expect(problems).toEqual([]);
  }, 90_000);

  it('lets a viewer render a built-in, names a refused variable, and offers no add form', async () => {
    const page = await login('view');
    await page.getByTestId('templates').getByRole('button', { name: 'swag-subdomain' }).click();
    await page.getByTestId('template-detail').getByText('proxy_pass $upstream_proto').waitFor();
    await page.getByLabel('Variables (JSON)').fill('{"name": "sonarr", "upstream_app": "sonarr", "upstream_port": 8989, "auth": "authelia"}');
    await page.getByRole('button', { name: 'Render' }).click();
    await page.getByTestId('template-render').getByText('server_name sonarr.*;').waitFor();
    await page.getByLabel('Variables (JSON)').fill('{"name": "sonarr", "upstream_app": "sonarr", "upstream_port": 99999}');
    await page.getByRole('button', { name: 'Render' }).click();
    await page.getByRole('status').filter({ hasText: 'variable "upstream_port" must be <= 65535' }).waitFor();
    expect(await page.getByRole('heading', { name: 'Add a template or a new version' }).count()).toBe(0);
    expect(problems).toEqual([]);
  }, 60_000);
});
