/**
 * The Export link in a real Chromium against a real server: an admin
 * downloads the archive (a gzip'd tar whose manifest lists the device); a
 * viewer sees no link, and the route refuses the viewer's session.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MARKER, seedHistory } from '../archive/archive-fixture.js';
import { describeWithChromium, openUiBed, type UiBed } from '../helpers/browser.js';

describeWithChromium('Export link in Chromium', () => {
  let bed: UiBed;
  let problems: string[];

  beforeAll(async () => {
    bed = await openUiBed('export', async (services) => {
      await seedHistory(services.store);
      await services.auth.addUser('adm', 'admin', 'adm-password');
      await services.auth.addUser('view', 'viewer', 'view-password');
    });
    ({ problems } = bed);
  }, 60_000);

  afterAll(async () => {
    await bed?.close();
  });

  const login = (user: string): Promise<Page> => bed.login(user, { acceptDownloads: true });

  it('downloads the archive for an admin', async () => {
    const page = await login('adm');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^confwatch-export-.*\.tar\.gz$/);
    const saved = join(bed.dir, 'download.tar.gz');
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
