/**
 * The Alerts page in a real Chromium against a real server: an admin adds a
 * channel (a JSON webhook on loopback), sees it listed with its secret
 * masked, tests it (the receiver gets the message) and finds the delivery
 * in the log; a viewer sees the log but no channel management.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type HttpReceiver, startHttpReceiver } from '../../bench/helpers/receivers.js';
import type { Services } from '../../src/services/services.js';
import { describeWithChromium, openUiBed, type UiBed } from '../helpers/browser.js';

describeWithChromium('Alerts page in Chromium', () => {
  let bed: UiBed;
  let services: Services;
  let receiver: HttpReceiver;
  let problems: string[];

  beforeAll(async () => {
    bed = await openUiBed('alerts', async (s) => {
      await s.auth.addUser('adm', 'admin', 'adm-password');
      await s.auth.addUser('view', 'viewer', 'view-password');
    });
    ({ services, problems } = bed);
    receiver = await startHttpReceiver();
  }, 60_000);

  afterAll(async () => {
    await bed?.close();
    await receiver?.close();
  });

  const login = async (user: string): Promise<Page> => {
    const page = await bed.login(user);
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
