/**
 * A change request's page in a real Chromium against a real server: an
 * approver opens a request another user proposed, sees its diff and
 * impact, approves it with a comment and applies it; the server records
 * the approval and the file on the (local) device is written.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Services } from '../../src/services/services.js';
import { describeWithChromium, openUiBed, type UiBed } from '../helpers/browser.js';

const compose = (extra: string) => `services:\n  web:\n    image: nginx:1.27\n${extra}`;

describeWithChromium('change request page in Chromium', () => {
  let bed: UiBed;
  let root: string;
  let services: Services;
  let id: string;
  let problems: string[];

  beforeAll(async () => {
    bed = await openUiBed(
      'changes',
      async (s, dir) => {
        root = join(dir, 'host');
        mkdirSync(root);
        writeFileSync(join(root, 'compose.yaml'), compose(''));
        await s.auth.addUser('alice', 'operator', 'alice-password');
        await s.auth.addUser('bob', 'approver', 'bob-password');
        await s.devices.add({ name: 'app', local: true, watch: [`${root}/**`] });
        await s.monitoring.scan('app');
        await s.settled();
        const proposed = await s.changes.propose('alice', {
          title: 'add a cache',
          changes: [{ device: 'app', path: join(root, 'compose.yaml'), source: { kind: 'content', content: Buffer.from(compose('  cache:\n    image: redis:7\n')) } }],
        });
        id = proposed.id;
        await s.templates.add('motd', { type: 'generic', body: 'welcome to {{ site }}\n', schema: { type: 'object', properties: { site: { type: 'string' } }, required: ['site'] } }, 'alice');
      },
      { driftIntervalMs: 0, complianceIntervalMs: 0 },
    );
    ({ services, problems } = bed);
  }, 90_000);

  afterAll(async () => {
    await bed?.close();
  });

  it('approves with a comment and applies from the detail page', async () => {
    const page = await bed.login('bob');
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

  it('proposes a change from the list page and lands on its detail', async () => {
    const page = await bed.login('alice');
    await page.getByRole('banner').getByRole('link', { name: 'Changes', exact: true }).click();
    await page.getByText('Propose a change').click();
    const form = page.getByRole('form', { name: 'Propose a change' });
    await form.getByLabel('Title').fill('add a database');
    await form.getByLabel('Device', { exact: true }).fill('app');
    await form.getByLabel('Path on the device').fill(join(root, 'compose.yaml'));
    await form.getByLabel('New content').fill(compose('  db:\n    image: postgres:16\n'));
    await form.getByRole('button', { name: 'Propose' }).click();
    await page.getByRole('heading', { name: 'add a database', level: 1 }).waitFor();
    expect(await page.getByTestId('change-diff').textContent()).toContain('+  db:');
    expect((await services.changes.list()).find((r) => r.title === 'add a database')).toMatchObject({ author: 'alice' });
    expect(problems).toEqual([]);
  }, 90_000);

  it('applies a template to a device as a change request from the templates page', async () => {
    const page = await bed.login('alice');
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('button', { name: 'motd', exact: true }).click();
    await page.getByLabel('Variables (JSON)').fill('{"site": "the lab"}');
    const form = page.getByRole('form', { name: 'Apply to a device' });
    await form.getByLabel('Device', { exact: true }).fill('app');
    await form.getByLabel('Path on the device').fill(join(root, 'motd.txt'));
    await form.getByRole('button', { name: 'Propose as a change request' }).click();
    await page.getByTestId('template-proposed').waitFor();
    const request = (await services.changes.list()).find((r) => r.origin?.template === 'motd');
    expect(request).toMatchObject({ author: 'alice', files: [{ path: join(root, 'motd.txt') }] });
    expect(await page.getByTestId('template-proposed').textContent()).toContain(request!.id);
    expect(problems).toEqual([]);
  }, 90_000);
});
