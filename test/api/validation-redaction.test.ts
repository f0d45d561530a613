/**
 * Redaction cannot be skipped through tool output: nginx -t quotes a
 * file's line in its own words (`unknown directive "DB_PASSWORD=…"`), where
 * no `KEY=value` line rule applies. A viewer (no `secrets:view`) reading the
 * stored validation, and the file's last error after a refused write-back,
 * never gets the secret value, in UTF-8 or in a Latin-1 file, and neither
 * does the operator whose batch nginx -t refused. The server is `serve`'s
 * (services, API, real nginx, a local device).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/api/server.js';
import { readEnvironment } from '../../src/config/environment.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { commandExists, describeUnless } from '../helpers/components.js';

const SECRET = 'hunter2ZQ8';
/** The Latin-1 secret's bytes: `pässZQ9` with ä as the single byte 0xE4. */
const LATIN1_SECRET = Buffer.from('p\u00e4ssZQ9', 'latin1');

describeUnless(commandExists('nginx') ? null : 'nginx is not installed', 'tool output is redacted like file content', () => {
  let base: string;
  let services: Services;
  let server: RunningServer;
  let utf8File: string;
  let latin1File: string;
  const tokens: Record<string, string> = {};

  const call = async (role: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${tokens[role]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
  };
  const hasSecret = (bytes: Buffer) => bytes.includes(SECRET) || bytes.includes('ZQ9');

  beforeEach(async () => {
    base = mkdtempSync(join(tmpdir(), 'cw-redact-'));
    // two nginx trees, so that each file's own line is the first error nginx -t reports in its tree
    const tree = (name: string, port: number, line: Buffer) => {
      const root = join(base, name, 'nginx');
      mkdirSync(join(root, 'conf.d'), { recursive: true });
      writeFileSync(join(root, 'nginx.conf'), `error_log stderr;\nevents {}\nhttp {\n  access_log off;\n  include ${root}/conf.d/*.conf;\n}\n`);
      writeFileSync(join(root, 'conf.d', `${name}.conf`), Buffer.concat([Buffer.from(`server {\n  listen 127.0.0.1:${port};\n  `), line, Buffer.from(';\n}\n')]));
      return join(root, 'conf.d', `${name}.conf`);
    };
    utf8File = tree('utf8', 18291, Buffer.from(`DB_PASSWORD=${SECRET}`));
    latin1File = tree('latin1', 18292, Buffer.concat([Buffer.from('API_TOKEN='), LATIN1_SECRET]));
    const environment = readEnvironment({ CONFWATCH_HOME: join(base, 'home') });
    const { adminToken } = await initHome(environment);
    services = await openServices(environment);
    if (!adminToken) throw new Error('init created no admin token');
    tokens.admin = adminToken;
    for (const role of ['viewer', 'operator']) {
      await services.auth.addUser(role, role, `${role}-password`);
      tokens[role] = (await services.auth.createToken(role)).token;
    }
    server = await startServer(services, { host: '127.0.0.1', port: 0, driftIntervalMs: 0 });
    await services.devices.add({ name: 'web', local: true, watch: [`${base}/*/nginx/**`], validateOnCapture: true });
    await services.monitoring.scan('web');
    await services.settled();
  });

  afterEach(async () => {
    await server.close();
    await services.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('in a stored validation, UTF-8 and Latin-1, and the raw bytes', async () => {
    for (const path of [utf8File, latin1File]) {
      const file = (await services.store.getTrackedFile('web', path))!;
      const shown = await call('viewer', `/api/snapshots/${file.latestSnapshotId}`);
      expect(shown.status).toBe(200);
      const validation = JSON.parse(shown.bytes.toString('utf8')).validation;
      expect(validation).toMatchObject({ status: 'invalid', tool: 'nginx -t' });
      expect(validation.output).toContain('unknown directive');
      expect(validation.output).toContain('«redacted»');
      expect(hasSecret(shown.bytes)).toBe(false);

      const raw = await call('viewer', `/api/snapshots/${file.latestSnapshotId}/raw`);
      expect(raw.status).toBe(200);
      expect(raw.bytes.includes(LATIN1_SECRET) || raw.bytes.includes(SECRET)).toBe(false);
      const adminRaw = await call('admin', `/api/snapshots/${file.latestSnapshotId}/raw`);
      expect(adminRaw.bytes.includes(LATIN1_SECRET) || adminRaw.bytes.includes(SECRET)).toBe(true);
    }
  });

  it('in the answer to a refused batch and in the last error it leaves', async () => {
    const path = latin1File;
    const candidate = Buffer.concat([Buffer.from('server {\n  listen 127.0.0.1:18293;\n  DB_PASSWORD='), LATIN1_SECRET, Buffer.from('-new;\n}\n')]);
    const refused = await call('operator', '/api/batches', { changes: [{ device: 'web', path, contentBase64: candidate.toString('base64') }] });
    expect(refused.status).toBe(422);
    expect(refused.bytes.toString('utf8')).toContain('unknown directive');
    expect(hasSecret(refused.bytes)).toBe(false);

    const files = await call('viewer', '/api/files?device=web');
    const latin = JSON.parse(files.bytes.toString('utf8')).files.find((f: { path: string }) => f.path === path);
    expect(latin.lastError).toContain('validation refused');
    expect(latin.lastError).toContain('unknown directive');
    expect(hasSecret(files.bytes)).toBe(false);
  });
});
