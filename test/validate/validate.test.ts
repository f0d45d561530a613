import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LocalTransport } from '../../src/transport/local.transport.js';
import { validateContent } from '../../src/validate/validator.js';
import { commandExists, describeWith } from '../helpers/components.js';

describeWith('nginx', commandExists('nginx') || commandExists('/usr/sbin/nginx'), 'validation with the real tools', () => {
  const transport = new LocalTransport();
  let base: string;
  let root: string;
  let scratch: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'cw-validate-'));
    scratch = join(base, 'scratch');
    mkdirSync(scratch);
    process.env.TMPDIR = scratch; // the validation temp copies go here, so the test can see they are removed
    root = join(base, 'etc', 'nginx');
    mkdirSync(join(root, 'conf.d'), { recursive: true });
    mkdirSync(join(root, 'sites-available'));
    mkdirSync(join(root, 'sites-enabled'));
    writeFileSync(
      join(root, 'nginx.conf'),
      `error_log stderr;\npid ${join(base, 'nginx.pid')};\nevents {}\nhttp {\n  access_log off;\n  include ${root}/conf.d/*.conf;\n  include ${root}/sites-enabled/*;\n}\n`,
    );
    writeFileSync(join(root, 'conf.d', 'app.conf'), 'server { listen 127.0.0.1:18080; location / { return 200; } }\n');
    writeFileSync(join(root, 'sites-available', 'site'), 'server { listen 127.0.0.1:18081; }\n');
    // an absolute symlink into the tree, as Debian's sites-enabled uses
    symlinkSync(join(root, 'sites-available', 'site'), join(root, 'sites-enabled', 'site'));
  });
  afterAll(async () => {
    await transport.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('accepts a valid include file, checked in the context of the whole tree', async () => {
    const result = await validateContent(transport, {
      type: 'nginx',
      path: join(root, 'conf.d', 'app.conf'),
      content: Buffer.from('server { listen 127.0.0.1:18082; location /x { return 204; } }\n'),
    });
    expect(result.status, result.output).toBe('valid');
    expect(result.tool).toBe('nginx -t');
    expect(validationTemps(scratch)).toEqual([]);
  });

  it('refuses a syntax error, names the real file, and leaves the live tree untouched', async () => {
    const live = readFileSync(join(root, 'conf.d', 'app.conf'));
    const result = await validateContent(transport, {
      type: 'nginx',
      path: join(root, 'conf.d', 'app.conf'),
      content: Buffer.from('server { listen 127.0.0.1:18082; location /x { return 204; }\n'),
    });
    expect(result.status).toBe('invalid');
    expect(result.output).toMatch(/unexpected end of file/);
    expect(result.output).toContain(join(root, 'conf.d', 'app.conf'));
    expect(readFileSync(join(root, 'conf.d', 'app.conf'))).toEqual(live);
    expect(validationTemps(scratch)).toEqual([]);
  });

  it('sees a candidate reached through a symlink (duplicate listen is caught)', async () => {
    const result = await validateContent(transport, {
      type: 'nginx',
      path: join(root, 'sites-available', 'site'),
      content: Buffer.from('server { listen 127.0.0.1:18081; }\nserver { listen 127.0.0.1:18081 default_server; }\nserver { listen 127.0.0.1:18081 default_server; }\n'),
    });
    expect(result.status).toBe('invalid');
    expect(result.output).toMatch(/duplicate default server/);
  });

  it('validates sshd_config with sshd -t', async () => {
    const ok = await validateContent(transport, { type: 'sshd', path: '/etc/ssh/sshd_config', content: Buffer.from('PermitRootLogin no\nPort 2222\n') });
    expect(ok.status, ok.output).toBe('valid');
    const bad = await validateContent(transport, { type: 'sshd', path: '/etc/ssh/sshd_config', content: Buffer.from('BogusOption 1\nPermitRootLogin maybe\n') });
    expect(bad.status).toBe('invalid');
    expect(bad.output).toMatch(/sshd_config line 2: unsupported option "maybe"/);
    expect(bad.output).toMatch(/Bad configuration option: BogusOption\n/);
    expect(bad.output).not.toContain('\r');
  });

  it('says unavailable (not valid) when the tool is missing, and invalid when local checks fail', async () => {
    const hasCompose = dockerComposeWorks() || commandExists('docker-compose');
    const compose = await validateContent(transport, { type: 'compose', path: join(base, 'stack', 'compose.yaml'), content: Buffer.from('services:\n  web:\n    image: nginx\n') });
    expect(compose.status, compose.output).toBe(hasCompose ? 'valid' : 'unavailable');
    if (!hasCompose) expect(compose.output).toMatch(/not installed[\s\S]*local checks \(parser\) found no errors/);
    const broken = await validateContent(transport, { type: 'compose', path: join(base, 'stack', 'compose.yaml'), content: Buffer.from('services:\n  web:\n    image: [1\n') });
    expect(broken.status).toBe('invalid');
  });
});

/** Temp copies made by validation (other temp files of the transport are not ours to check). */
const validationTemps = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('confwatch-validate.'));

function dockerComposeWorks(): boolean {
  try {
    execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
