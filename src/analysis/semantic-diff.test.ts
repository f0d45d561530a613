import { describe, expect, it } from 'vitest';
import { systemdParser } from '../parsers/systemd/systemd.parser.js';
import type { Change } from './change.js';
import { semanticDiff } from './semantic-diff.js';

const kinds = (changes: Change[]) => changes.map((c) => c.kind);
const texts = { oldText: 'a', newText: 'b' };

/** A crossplane directive. */
const d = (directive: string, args: string[] = [], block?: object[]) => ({ directive, line: 1, args, ...(block ? { block } : {}) });

describe('semanticDiff: file lifecycle', () => {
  it('reports deletion, creation, parse failure, recovery and text-only changes', () => {
    expect(kinds(semanticDiff('generic', {}, null, { oldText: 'x' }))).toEqual(['file.deleted']);
    expect(kinds(semanticDiff('sshd', null, {}, { newText: 'Port 22\n' }))).toEqual(['file.created', 'setting.changed']);
    const failed = semanticDiff('nginx', { parsed: [] }, null, { oldText: 'a', newText: 'server {', newErrors: [{ message: 'unexpected end of file', line: 1 }] });
    expect(failed).toEqual([{ kind: 'parse.failed', detail: { errors: 1, message: 'unexpected end of file', line: 1 } }]);
    expect(kinds(semanticDiff('generic', null, { format: 'json', value: {} }, texts))).toEqual(['parse.recovered']);
    expect(kinds(semanticDiff('compose', { services: {} }, { services: {} }, { oldText: 'services: {}\n', newText: '# c\nservices: {}\n' }))).toEqual([
      'whitespace_or_comments.only',
    ]);
    expect(semanticDiff('compose', { services: {} }, { services: {} }, { oldText: 'same', newText: 'same' })).toEqual([]);
  });
});

describe('semanticDiff: compose', () => {
  const before = {
    services: {
      web: { image: 'nginx:1.26', ports: ['127.0.0.1:8080:80'], environment: { TZ: 'UTC', SECRET: 's3cr3t-before' }, depends_on: ['db'], volumes: ['./conf:/etc/nginx:ro'] },
      db: { image: 'postgres:16' },
      old: { image: 'redis:7' },
    },
  };
  const after = {
    services: {
      web: {
        image: 'nginx:latest',
        ports: ['8080:80', { target: 443, published: '8443', host_ip: '0.0.0.0' }],
        environment: ['TZ=UTC', 'SECRET=s3cr3t-after', 'EXTRA'],
        depends_on: { db: { condition: 'service_healthy' }, cache: {} },
        volumes: ['./conf:/etc/nginx:ro', '/var/run/docker.sock:/var/run/docker.sock'],
        privileged: true,
      },
      db: { image: 'postgres:16' },
      cache: { image: 'redis:7', ports: ['6379'] },
    },
  };
  const changes = semanticDiff('compose', before, after, texts);

  it('finds added/removed services, image, ports, env keys, volumes, privileges and dependencies', () => {
    expect(changes).toEqual(
      expect.arrayContaining([
        { kind: 'service.removed', detail: { service: 'old' }, service: 'old' },
        { kind: 'service.added', detail: { service: 'cache', image: 'redis:7' }, service: 'cache' },
        { kind: 'port.added', detail: { port: '6379/tcp', allInterfaces: true }, service: 'cache' },
        { kind: 'image.changed', detail: { from: 'nginx:1.26', to: 'nginx:latest' }, service: 'web' },
        { kind: 'port.added', detail: { port: '8080:80/tcp', allInterfaces: true }, service: 'web' },
        { kind: 'port.added', detail: { port: '0.0.0.0:8443:443/tcp', allInterfaces: true }, service: 'web' },
        { kind: 'port.removed', detail: { port: '127.0.0.1:8080:80/tcp' }, service: 'web' },
        { kind: 'env.changed', detail: { key: 'SECRET', change: 'modified' }, service: 'web' },
        { kind: 'env.changed', detail: { key: 'EXTRA', change: 'added' }, service: 'web' },
        { kind: 'docker_socket.mounted', detail: { source: '/var/run/docker.sock', readOnly: false }, service: 'web' },
        { kind: 'privileged.enabled', detail: {}, service: 'web' },
        { kind: 'depends_on.changed', detail: { added: ['cache'], removed: [] }, service: 'web' },
      ]),
    );
  });

  it('never includes environment values', () => {
    expect(JSON.stringify(changes)).not.toContain('s3cr3t');
    expect(JSON.stringify(changes)).not.toContain('UTC');
  });
});

describe('semanticDiff: nginx (crossplane tree)', () => {
  const site = (opts: { ssl: boolean; auth: boolean; app: string; header?: string }) => ({
    status: 'ok',
    errors: [],
    parsed: [
      d('upstream', ['backend'], [d('server', ['10.0.0.1:80'])]),
      d('server', [], [
        d('listen', opts.ssl ? ['443', 'ssl'] : ['80']),
        d('server_name', ['app.example.com']),
        ...(opts.auth ? [d('include', ['/config/nginx/authelia-server.conf'])] : []),
        ...(opts.header ? [d('add_header', ['X-Frame-Options', opts.header])] : []),
        d('location', ['/'], [
          ...(opts.auth ? [d('include', ['/config/nginx/authelia-location.conf'])] : []),
          d('set', ['$upstream_app', opts.app]),
          d('set', ['$upstream_port', '8080']),
          d('proxy_pass', ['http://$upstream_app:$upstream_port']),
        ]),
      ]),
    ],
  });

  it('finds ssl, listen, proxy target, auth and header changes, with SWAG variables resolved', () => {
    const changes = semanticDiff('nginx', { payload: site({ ssl: true, auth: true, app: 'web' }) }, site({ ssl: false, auth: false, app: 'web2', header: 'DENY' }), texts);
    expect(kinds(changes).sort()).toEqual(['auth.removed', 'auth.removed', 'header.changed', 'listen.changed', 'proxy_pass.changed', 'ssl.disabled']);
    expect(changes.find((c) => c.kind === 'proxy_pass.changed')?.detail).toMatchObject({ from: 'http://web:8080', to: 'http://web2:8080', location: '/' });
    expect(changes.filter((c) => c.kind === 'auth.removed').map((c) => c.detail.removed)).toEqual([
      ['include /config/nginx/authelia-location.conf'],
      ['include /config/nginx/authelia-server.conf'],
    ]);
    expect(changes.every((c) => c.service === 'app.example.com')).toBe(true);
  });

  it('finds servers added/removed and upstream members changed', () => {
    const a = { parsed: [d('upstream', ['b'], [d('server', ['x:1'])]), d('server', [], [d('server_name', ['one'])])] };
    const b = { parsed: [d('upstream', ['b'], [d('server', ['y:1'])]), d('server', [], [d('server_name', ['two'])])] };
    expect(semanticDiff('nginx', a, b, texts)).toEqual([
      { kind: 'server.removed', detail: { server: 'one' }, service: 'one' },
      { kind: 'server.added', detail: { server: 'two', listen: [], ssl: false }, service: 'two' },
      { kind: 'upstream.server.changed', detail: { upstream: 'b', added: ['y:1'], removed: ['x:1'] } },
    ]);
  });

  it('reports a directive change no kind covers as config.changed', () => {
    const a = { parsed: [d('worker_processes', ['1'])] };
    const b = { parsed: [d('worker_processes', ['2'])] };
    expect(kinds(semanticDiff('nginx', a, b, texts))).toEqual(['config.changed']);
  });
});

describe('semanticDiff: systemd (parser output)', () => {
  const parse = (text: string) => systemdParser.parse(Buffer.from(text), { path: '/etc/systemd/system/app.service' }).data;

  it('finds exec, user, dependency and environment changes on the unit', () => {
    const a = parse('[Unit]\nRequires=db.service\n[Service]\nExecStart=/usr/bin/app\nUser=app\nEnvironment=TOKEN=1\n');
    const b = parse('[Unit]\nRequires=db.service cache.service\nAfter=network.target\n[Service]\nExecStart=/usr/bin/app --debug\nUser=root\nEnvironment=TOKEN=2\n');
    const changes = semanticDiff('systemd', a, b, texts);
    expect(changes).toEqual([
      { kind: 'exec.changed', detail: { from: ['/usr/bin/app'], to: ['/usr/bin/app --debug'] }, service: 'app.service' },
      { kind: 'user.changed', detail: { from: 'app', to: 'root' }, service: 'app.service' },
      { kind: 'dependency.changed', detail: { key: 'After', added: ['network.target'], removed: [] }, service: 'app.service' },
      { kind: 'dependency.changed', detail: { key: 'Requires', added: ['cache.service'], removed: [] }, service: 'app.service' },
      { kind: 'env.changed', detail: { key: 'TOKEN', change: 'modified' }, service: 'app.service' },
    ]);
  });
});

describe('semanticDiff: sshd and generic', () => {
  it('compares effective sshd settings: case-insensitive keywords, first value wins, Match blocks aside', () => {
    const oldText = 'PermitRootLogin no\nPasswordAuthentication no\n';
    const newText = 'permitrootlogin yes\nPermitRootLogin no\nPasswordAuthentication no\nMatch User x\n  PasswordAuthentication yes\n';
    expect(semanticDiff('sshd', {}, {}, { oldText, newText })).toEqual([
      { kind: 'setting.changed', detail: { key: 'permitrootlogin', from: 'no', to: 'yes' }, service: 'sshd' },
    ]);
  });

  it('lists changed keys of structured generic files without their values', () => {
    const a = { format: 'yaml', value: { db: { password: 'p1', host: 'h' }, list: [1] } };
    const b = { format: 'yaml', value: { db: { password: 'p2', host: 'h' }, list: [1, 2] } };
    expect(semanticDiff('generic', a, b, texts)).toEqual([
      { kind: 'key.changed', detail: { key: 'db.password', change: 'modified' } },
      { kind: 'key.changed', detail: { key: 'list.1', change: 'added' } },
    ]);
  });
});

describe('semanticDiff: like with like', () => {
  const broken = { newErrors: [{ message: 'unexpected "}"', line: 3 }] };

  it('calls a parse failure a change only when the old version parsed', () => {
    expect(kinds(semanticDiff('nginx', { parsed: [] }, null, { oldText: 'a;', newText: 'a; }', ...broken }))).toEqual(['parse.failed']);
    const still = semanticDiff('nginx', null, null, { oldText: 'a; }', newText: 'b; }', oldErrors: broken.newErrors, ...broken });
    expect(kinds(still)).toEqual(['parse.still_failed']);
    const commentOnly = semanticDiff('nginx', null, null, { oldText: 'a; }', newText: '# note\na; }', oldErrors: broken.newErrors, ...broken });
    expect(kinds(commentOnly)).toEqual(['whitespace_or_comments.only']);
  });

  it('treats data equal but for line numbers, comments and keyword spelling as a no-op', () => {
    const at = (line: number) => ({ payload: { parsed: [{ directive: 'server', line, args: [], block: [{ directive: 'listen', line: line + 1, args: ['80'] }] }] } });
    expect(kinds(semanticDiff('nginx', at(1), at(3), texts))).toEqual(['whitespace_or_comments.only']);
    const sshd = (keyword: string, value: string, line: number) => ({
      directives: [{ kind: 'directive', key: 'x11forwarding', keyword, args: [value], line }],
      settings: { x11forwarding: value },
    });
    expect(kinds(semanticDiff('sshd', sshd('X11Forwarding', 'yes', 1), sshd('x11forwarding', 'Yes', 2), texts))).toEqual(['whitespace_or_comments.only']);
    expect(kinds(semanticDiff('compose', { services: { a: { line: 2, image: 'x' } } }, { services: { a: { line: 3, image: 'x' } } }, texts))).toEqual([
      'whitespace_or_comments.only',
    ]);
  });
});

describe('semanticDiff: .env', () => {
  const usage = { composeFile: '/s/app/compose.yaml', services: { web: ['TZ'], worker: ['*'] } };

  it('compares values from the texts, names the services using a variable, and never carries a value', () => {
    const changes = semanticDiff('env', {}, {}, { oldText: 'TZ=UTC\nTOKEN=old\n', newText: 'TZ="UTC"\nTOKEN=new\nEXTRA=1\n', envUsage: usage });
    expect(changes).toEqual([
      { kind: 'env.changed', detail: { key: 'EXTRA', change: 'added', used: true, composeFile: '/s/app/compose.yaml' }, service: 'worker' },
      { kind: 'env.changed', detail: { key: 'TOKEN', change: 'modified', used: true, composeFile: '/s/app/compose.yaml' }, service: 'worker' },
    ]);
    expect(JSON.stringify(changes)).not.toMatch(/old|new"/);
    const unused = semanticDiff('env', {}, {}, { oldText: 'A=1\n', newText: 'A=2\n', envUsage: { composeFile: '/c.yaml', services: {} } });
    expect(unused).toEqual([{ kind: 'env.changed', detail: { key: 'A', change: 'modified', used: false, composeFile: '/c.yaml' } }]);
  });
});
