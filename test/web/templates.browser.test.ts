/**
 * The Templates page in a real Chromium against a real server: an operator
 * adds a template from the form, renders it with variables and sees the
 * parsed output, then adds a second version and removes the template; a
 * viewer renders the built-in SWAG template (a variable the schema refuses
 * is named on the page) and has no add form.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Services } from '../../src/services/services.js';
import { describeWithChromium, openUiBed, type UiBed } from '../helpers/browser.js';

describeWithChromium('Templates page in Chromium', () => {
  let bed: UiBed;
  let services: Services;
  let problems: string[];

  beforeAll(async () => {
    bed = await openUiBed('templates', async (s) => {
      await s.auth.addUser('op', 'operator', 'op-password');
      await s.auth.addUser('view', 'viewer', 'view-password');
    });
    ({ services, problems } = bed);
  }, 60_000);

  afterAll(async () => {
    await bed?.close();
  });

  const login = async (user: string): Promise<Page> => {
    const page = await bed.login(user);
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
