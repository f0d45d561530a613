/**
 * The web UI in a real Chromium (SPEC §8) against a real server with a real
 * SSH device: log in, see a host edit arrive in the live feed, open its
 * diff, restore as an operator, and find restore absent and refused for a
 * viewer. Screenshots go to test-artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWith } from '../helpers/components.js';
import { describeWithSshd, type RunningSshd, startSshd } from '../helpers/sshd.js';
import { startUiServer, type UiServer } from './ui-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');
const BUILT_UI = join(process.cwd(), 'dist', 'web', 'index.html');
const RESTORE_ROUTE = { method: 'POST', path: '/api/snapshots/{id}/restore' };

/** The page's globals used inside `page.evaluate` (this file compiles without DOM types; evaluated functions cannot close over helpers). */
type PageGlobals = {
  marker?: boolean;
  innerWidth: number;
  document: { documentElement: { scrollWidth: number } };
  sessionStorage: { getItem(key: string): string | null };
};

async function until(probe: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// Valid for `nginx -t` in the tree below, so a restore passes validation.
const ORIGINAL = 'server {\n    listen 80;\n    # the app behind the proxy\n    location / { proxy_pass http://127.0.0.1:8080; }\n}\n';
const EDITED = 'server {\n    listen 8081;\n    # the app behind the proxy\n    location / { proxy_pass http://127.0.0.1:9090; }\n}\n';
/** The main nginx.conf of the tree the watched site file belongs to (what `nginx -t` checks it in). */
const NGINX_CONF = 'error_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include conf.d/*.conf;\n}\n';

describeWith('Chromium (apt-get install chromium)', existsSync(CHROMIUM), 'web UI in Chromium', () => {
  describeWithSshd('against a server monitoring an sshd device', () => {
    let sshd: RunningSshd;
    let dir: string;
    let file: string;
    let server: UiServer;
    let browser: Browser;
    const contexts: BrowserContext[] = [];
    const foreignRequests: string[] = [];
    /** Uncaught page errors and CSP violations, from every page. */
    const pageProblems: string[] = [];

    beforeAll(async () => {
      if (!existsSync(BUILT_UI)) throw new Error('dist/web is missing: run "npm run build" first');
      mkdirSync(ARTIFACTS, { recursive: true });
      sshd = await startSshd();
      dir = mkdtempSync(join(tmpdir(), 'cw-ui-data-'));
      const tree = join(dir, 'nginx');
      mkdirSync(join(tree, 'conf.d'), { recursive: true });
      writeFileSync(join(tree, 'nginx.conf'), NGINX_CONF);
      file = join(tree, 'conf.d', 'app.conf');
      writeFileSync(file, ORIGINAL);
      server = await startUiServer({ sshd, device: 'web1', watchGlob: `${tree}/conf.d/*.conf` });
      await until(async () => (await server.api('/api/files?device=web1')).files.some((f: { path: string }) => f.path === file), `${file} to be tracked`);
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
    });

    afterAll(async () => {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser?.close();
      await server?.close();
      await sshd?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    /** A fresh browser context (own cookies), logged in as `user`. */
    const loggedIn = async (user: 'viewer' | 'operator', viewport = { width: 1280, height: 900 }, options: { noEventStream?: boolean } = {}): Promise<Page> => {
      const context = await browser.newContext({ viewport });
      contexts.push(context);
      const page = await context.newPage();
      if (options.noEventStream) await page.route('**/api/events**', (route) => route.abort());
      page.on('request', (request) => {
        if (!request.url().startsWith(server.url)) foreignRequests.push(request.url());
      });
      page.on('pageerror', (error) => pageProblems.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) pageProblems.push(message.text());
      });
      await page.goto(server.url);
      await page.getByLabel('User').fill(user);
      await page.getByLabel('Password').fill(`${user}-password`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('heading', { name: 'Devices' }).waitFor();
      return page;
    };

    let operator: Page;

    it('logs in and shows the device with its realtime mode and files on the dashboard', async () => {
      operator = await loggedIn('operator');
      const card = operator.getByTestId('device-card').filter({ hasText: 'web1' });
      await card.getByText('realtime', { exact: true }).waitFor();
      await expect.poll(() => card.textContent()).toMatch(/1\s*files/);
      await operator.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    });

    it('shows the watch mode from the server when the page has no event stream', async () => {
      const page = await loggedIn('viewer', undefined, { noEventStream: true });
      const card = page.getByTestId('device-card').filter({ hasText: 'web1' });
      await card.getByText('realtime', { exact: true }).waitFor();
      expect(await card.textContent()).not.toContain('not connected');
      await page.close();
    });

    it('shows a host edit in the live feed within 2 s, without reload', async () => {
      await operator.evaluate(() => {
        (globalThis as unknown as PageGlobals).marker = true;
      });
      writeFileSync(file, EDITED);
      const item = operator.getByTestId('live-feed').locator('.feed-config-changed', { hasText: 'modified' }).filter({ hasText: file });
      await item.first().waitFor({ timeout: 2_000 });
      // Same document: the feed updated in place.
      await expect.poll(() => operator.evaluate(() => (globalThis as unknown as PageGlobals).marker)).toBe(true);
    });

    it('opens the diff of the edit from the feed', async () => {
      await operator.getByTestId('live-feed').getByRole('link', { name: file }).first().click();
      await operator.getByRole('heading', { name: file }).waitFor();
      await expect.poll(() => operator.getByTestId('version').count()).toBe(2);
      const diff = operator.getByTestId('diff');
      await diff.waitFor();
      await expect.poll(() => diff.locator('.diff-removed').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('proxy_pass http://127.0.0.1:8080;')]));
      await expect.poll(() => diff.locator('.diff-added').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('listen 8081;')]));
      await operator.screenshot({ path: join(ARTIFACTS, 'file-timeline.png'), fullPage: true });
      await diff.screenshot({ path: join(ARTIFACTS, 'diff.png') });
    });

    it('lists the device files with their statuses and filters them', async () => {
      await operator.getByRole('link', { name: 'web1' }).first().click();
      const rows = operator.getByTestId('file-row');
      await rows.first().waitFor();
      await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining(file)]);
      await expect.poll(() => rows.first().textContent()).toContain('synced');
      await operator.getByLabel('Path contains').fill('no-such-file');
      await expect.poll(() => rows.count()).toBe(0);
      await operator.getByLabel('Path contains').fill('app.conf');
      const { files } = await server.api('/api/files?device=web1');
      await operator.getByLabel('Type').selectOption(files[0].configType);
      await expect.poll(() => rows.count()).toBe(1);
      await operator.goBack();
      await operator.getByTestId('diff').waitFor();
    });

    it('shows the device compliance: score per pack, its trend, and findings with their line (highlighted in the file view), remediation and source', async () => {
      const page = await loggedIn('operator');
      await page.goto(`${server.url}/devices/web1/compliance`);
      await page.getByRole('heading', { name: 'Compliance on web1' }).waitFor();
      const finding = page.getByTestId('compliance-finding').filter({ hasText: 'nginx.swag-auth' });
      await finding.waitFor();
      await expect.poll(() => finding.textContent()).toMatch(new RegExp(`${file}:\\d+`));
      await expect.poll(() => finding.textContent()).toContain('Include an auth snippet');
      await expect.poll(() => page.getByTestId('compliance-scores').textContent()).toMatch(/nginx \d+%/);
      // waiving needs config:approve, which an operator lacks
      expect(await page.getByRole('button', { name: 'Waive' }).count()).toBe(0);
      // the score history is drawn inline, one step line per pack
      const nginxTrend = page.locator('[data-testid="compliance-trend"] polyline[data-pack="nginx"]');
      // a flat line has no height, so it is attached rather than visible
      await nginxTrend.waitFor({ state: 'attached' });
      expect((await nginxTrend.getAttribute('points'))?.split(' ').length).toBeGreaterThanOrEqual(2);
      await page.screenshot({ path: join(ARTIFACTS, 'compliance.png'), fullPage: true });

      // the finding's line, highlighted in the file view
      const { results } = await server.api('/api/compliance?device=web1');
      const { line } = results.find((r: { rule: string; path: string }) => r.rule === 'nginx.swag-auth' && r.path === file);
      await finding.getByRole('link', { name: `${file}:${line}` }).click();
      const highlighted = page.getByTestId('highlighted-line');
      await highlighted.waitFor();
      expect(new URL(page.url()).searchParams.get('line')).toBe(String(line));
      expect(await highlighted.getAttribute('id')).toBe(`L${line}`);
      expect(await highlighted.textContent()).toBe(readFileSync(file, 'utf8').split('\n')[line - 1]);
      await page.screenshot({ path: join(ARTIFACTS, 'compliance-line.png'), fullPage: true });
    });

    it('fits a 390 px wide screen', async () => {
      const phone = await loggedIn('operator', { width: 390, height: 844 });
      await phone.getByTestId('device-card').first().waitFor();
      const overflow = await phone.evaluate(() => {
        const page = globalThis as unknown as PageGlobals;
        return page.document.documentElement.scrollWidth - page.innerWidth;
      });
      expect(overflow).toBeLessThanOrEqual(0);
      await phone.screenshot({ path: join(ARTIFACTS, 'dashboard-mobile.png'), fullPage: true });
    });

    it('draws the dependency graph in layers and explains a node chosen with the keyboard', async () => {
      // The graph's content is fixed here so the layout can be checked; everything else is the real UI.
      const graph = {
        nodes: [
          { id: 'nginx:app.example.com', kind: 'nginx-server', name: 'app.example.com' },
          { id: 'upstream:app', kind: 'upstream', name: 'app' },
          { id: 'compose:stack/app', kind: 'compose-service', name: 'app' },
          { id: 'compose:stack/db', kind: 'compose-service', name: 'db' },
        ],
        edges: [
          { from: 'nginx:app.example.com', to: 'upstream:app', kind: 'proxies_to', source: 'derived', sourcePath: null },
          { from: 'upstream:app', to: 'compose:stack/app', kind: 'resolves_to', source: 'derived', sourcePath: null },
          { from: 'compose:stack/app', to: 'compose:stack/db', kind: 'depends_on', source: 'derived', sourcePath: null },
        ],
      };
      await operator.route('**/api/devices/web1/deps', (route) => route.fulfill({ json: graph }));
      await operator.goto(`${server.url}/devices/web1/graph`);
      const nodes = operator.locator('svg.graph g.node');
      await nodes.first().waitFor();
      await expect.poll(() => nodes.count()).toBe(4);
      await expect.poll(() => operator.locator('svg.graph path.edge').count()).toBe(3);
      const yOf = async (label: string) => {
        const box = await operator.getByRole('button', { name: label }).boundingBox();
        return box!.y;
      };
      const ys = [await yOf('nginx-server app.example.com'), await yOf('upstream app'), await yOf('compose-service app'), await yOf('compose-service db')];
      expect([...ys].sort((a, b) => a - b)).toEqual(ys);
      await operator.getByRole('button', { name: 'upstream app' }).focus();
      await operator.keyboard.press('Enter');
      await expect.poll(() => operator.getByRole('heading', { name: 'app depends on' }).isVisible()).toBe(true);
      await expect.poll(() => operator.locator('.two-columns').textContent()).toContain('app (resolves_to)');
      await operator.screenshot({ path: join(ARTIFACTS, 'graph.png'), fullPage: true });
      await operator.unroute('**/api/devices/web1/deps');
      await operator.goBack();
    });

    it('hides restore from a viewer', async () => {
      const viewer = await loggedIn('viewer');
      await viewer.goto(`${server.url}/devices/web1/file?path=${encodeURIComponent(file)}`);
      await viewer.getByTestId('diff').waitFor();
      await expect.poll(() => viewer.getByRole('button', { name: /Restore/ }).count()).toBe(0);
    });

    it('logs out, and a deep link then asks to log in again', async () => {
      const viewer = await loggedIn('viewer');
      await viewer.getByRole('button', { name: 'Log out' }).click();
      await viewer.getByRole('button', { name: 'Log in' }).waitFor();
      await viewer.goto(`${server.url}/devices/web1`);
      await viewer.getByRole('button', { name: 'Log in' }).waitFor();
      await expect.poll(() => viewer.getByTestId('file-row').count()).toBe(0);
      const status = await viewer.evaluate(async () => (await fetch('/api/files')).status);
      expect(status).toBe(401);
    });

    it('confirms a restore in a dialog showing the diff and the dry-run validation, then sends it with the CSRF token', async () => {
      // The write-back answers are fixed here so the dialog's behaviour is checked on its own; the real restore is the test below.
      const posted: { body: unknown; csrf: string | undefined }[] = [];
      await operator.route('**/api/snapshots/*/restore', async (route) => {
        const body = route.request().postDataJSON() as { dryRun: boolean };
        posted.push({ body, csrf: route.request().headers()['x-csrf-token'] });
        const validation = { status: 'valid', tool: 'nginx -t', output: 'the configuration file syntax is ok' };
        await route.fulfill({ json: { status: body.dryRun ? 'dry-run' : 'applied', files: [{ path: file, action: 'write', diff: '', validation }] } });
      });
      await operator.goto(`${server.url}/devices/web1/file?path=${encodeURIComponent(file)}`);
      await operator.getByRole('button', { name: /Restore version A/ }).click();
      const dialog = operator.getByRole('dialog');
      await dialog.getByTestId('diff').waitFor();
      await expect.poll(() => dialog.getByTestId('restore-validation').textContent()).toContain('nginx -t');
      await expect.poll(() => dialog.locator('.diff-added').allTextContents()).toEqual(expect.arrayContaining([expect.stringContaining('proxy_pass http://127.0.0.1:8080;')]));
      await operator.screenshot({ path: join(ARTIFACTS, 'restore-dialog.png') });
      await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(posted.map((p) => p.body)).toEqual([{ dryRun: true }, { dryRun: false }]);
      expect(posted.every((p) => typeof p.csrf === 'string' && p.csrf.length > 0)).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(EDITED);
      await operator.unroute('**/api/snapshots/*/restore');
    });

    it('loaded nothing from other origins and raised no script errors or CSP violations on any page', () => {
      expect(foreignRequests).toEqual([]);
      expect(pageProblems).toEqual([]);
    });

    it('restores the previous version as an operator, and the API refuses a viewer', async () => {
      expect(await server.hasRoute(RESTORE_ROUTE.method, RESTORE_ROUTE.path)).toBe(true);
      const viewer = await loggedIn('viewer');
      const history = await server.api(`/api/devices/web1/files/history?path=${encodeURIComponent(file)}`);
      const snapshotId: string = history.versions[1].id;
      const status = await viewer.evaluate(async (id) => {
        const csrf = (globalThis as unknown as PageGlobals).sessionStorage.getItem('confwatch.csrf') ?? '';
        const init = { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: '{"dryRun":false}' };
        return (await fetch(`/api/snapshots/${id}/restore`, init)).status;
      }, snapshotId);
      expect(status).toBe(403);
      expect(readFileSync(file, 'utf8')).toBe(EDITED);

      await operator.getByRole('button', { name: /Restore version A/ }).click();
      const dialog = operator.getByRole('dialog');
      await dialog.getByTestId('diff').waitFor();
      await dialog.getByRole('button', { name: 'Restore', exact: true }).click();
      await dialog.waitFor({ state: 'detached' });
      expect(readFileSync(file, 'utf8')).toBe(ORIGINAL);
    });
  });
});
