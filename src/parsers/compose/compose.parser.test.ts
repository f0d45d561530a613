// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose `${VAR}` templates are the subject of these tests
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ParseContext } from '../parser.js';
import { composeParser, parseCompose } from './compose.parser.js';

const CORPUS = new URL('../../../test/fixtures/corpus/compose/awesome-compose/', import.meta.url);
const corpusFiles = readdirSync(CORPUS)
  .flatMap((dir) => ['compose.yaml', 'compose.yml'].map((name) => new URL(`${dir}/${name}`, CORPUS)))
  .filter((url) => existsSync(url));

/** A context serving an in-memory set of files. */
function filesContext(path: string, files: Record<string, string>, env?: Record<string, string>): ParseContext {
  return { path, readFile: (p) => (files[p] === undefined ? undefined : Buffer.from(files[p])), ...(env ? { env } : {}) };
}

const parse = (text: string, context: ParseContext = { path: '/opt/stacks/app/compose.yaml' }) => composeParser.parse(Buffer.from(text), context);

describe('compose services', () => {
  it('normalises images, ports, volumes, networks and dependencies', () => {
    const { data, errors } = parse(`
services:
  web:
    image: ghcr.io/org/web:1.2@sha256:abc
    ports: ["127.0.0.1:8080:80", "443:443/udp", 9000, "[::1]:53:53", {target: 22, published: "2222", host_ip: 0.0.0.0}]
    volumes: ["./nginx.conf:/etc/nginx/nginx.conf:ro", "data:/data", "/cache", {type: bind, source: /srv, target: /srv, read_only: true}]
    depends_on: [db]
    links: ["db:database"]
    environment: [A=1, B]
    labels: {traefik.enable: true}
    privileged: true
    cap_add: [NET_ADMIN]
    user: "1000:1000"
    restart: unless-stopped
    container_name: web1
  db:
    image: postgres
    network_mode: "service:web"
    depends_on: {web: {condition: service_healthy, required: false}}
    volumes_from: ["web:ro", "container:other"]
volumes: {data: {}}
`);
    expect(errors).toEqual([]);
    const web = data!.services.web!;
    expect(web.image).toEqual({ ref: 'ghcr.io/org/web:1.2@sha256:abc', name: 'ghcr.io/org/web', tag: '1.2', digest: 'sha256:abc' });
    expect(web.ports).toEqual([
      { target: '80', published: '8080', hostIp: '127.0.0.1', protocol: 'tcp' },
      { target: '443', published: '443', hostIp: null, protocol: 'udp' },
      { target: '9000', published: null, hostIp: null, protocol: 'tcp' },
      { target: '53', published: '53', hostIp: '::1', protocol: 'tcp' },
      { target: '22', published: '2222', hostIp: '0.0.0.0', protocol: 'tcp' },
    ]);
    expect(web.volumes).toEqual([
      { type: 'bind', source: './nginx.conf', target: '/etc/nginx/nginx.conf', readOnly: true },
      { type: 'volume', source: 'data', target: '/data', readOnly: false },
      { type: 'volume', source: null, target: '/cache', readOnly: false },
      { type: 'bind', source: '/srv', target: '/srv', readOnly: true },
    ]);
    expect(web).toMatchObject({
      networks: ['default'],
      dependsOn: [{ service: 'db', condition: 'service_started', required: true }],
      links: [{ service: 'db', alias: 'database' }],
      environment: { A: '1', B: null },
      labels: { 'traefik.enable': 'true' },
      privileged: true,
      capAdd: ['NET_ADMIN'],
      user: '1000:1000',
      restart: 'unless-stopped',
      containerName: 'web1',
      line: 4,
    });
    const db = data!.services.db!;
    expect(db.image).toMatchObject({ name: 'postgres', tag: null });
    expect(db.networks).toEqual([]);
    expect(db.networkModeService).toBe('web');
    expect(db.dependsOn).toEqual([{ service: 'web', condition: 'service_healthy', required: false }]);
    expect(db.volumesFrom).toEqual([
      { source: 'web', container: false, readOnly: true },
      { source: 'other', container: true, readOnly: false },
    ]);
    expect(data!.networks).toEqual(['default']);
    expect(data!.volumes).toEqual(['data']);
  });

  it('interpolates from the sibling .env, overridden by the given variables', () => {
    const context = filesContext('/opt/app/compose.yaml', { '/opt/app/.env': 'TAG=1.0\nPORT=80\n' }, { PORT: '8080' });
    const { data, warnings } = parse('services:\n  web:\n    image: "nginx:${TAG}"\n    ports: ["${PORT}:80"]\n    environment: {X: "${NOPE}"}\n', context);
    expect(data!.services.web!.image?.tag).toBe('1.0');
    expect(data!.services.web!.ports[0]?.published).toBe('8080');
    expect(warnings).toEqual([expect.objectContaining({ line: 5, message: expect.stringMatching(/NOPE is not set/) })]);
  });

  it('reports a required variable with its line', () => {
    const { errors } = parse('services:\n  web:\n    image: nginx\n    user: "${APP_USER:?set APP_USER}"\n');
    expect(errors).toEqual([expect.objectContaining({ line: 4, message: expect.stringMatching(/set APP_USER/) })]);
  });

  it('applies merge keys, and !reset / !override through extends', () => {
    const { data, errors } = parse(`
x-base: &base
  image: app:1
  restart: always
services:
  base:
    <<: *base
    ports: ["80:80"]
    environment: {A: "1", B: "2"}
    cap_add: [NET_ADMIN]
  child:
    extends: base
    ports: !override ["81:80"]
    environment: [B=3]
    cap_add: !reset []
  other:
    extends: {service: remote, file: ../shared/base.yaml}
`, filesContext('/opt/app/compose.yaml', { '/opt/shared/base.yaml': 'services:\n  remote:\n    image: remote:2\n    privileged: true\n' }));
    expect(errors).toEqual([]);
    expect(data!.services.base).toMatchObject({ image: { tag: '1' }, restart: 'always' });
    expect(data!.services.child).toMatchObject({ image: { tag: '1' }, restart: 'always', environment: { A: '1', B: '3' }, capAdd: [] });
    expect(data!.services.child!.ports.map((p) => p.published)).toEqual(['81']);
    expect(data!.services.other).toMatchObject({ image: { ref: 'remote:2' }, privileged: true });
    expect(data!.files).toEqual(['/opt/shared/base.yaml']);
  });

  it('reports extends cycles and missing bases', () => {
    const { errors } = parse('services:\n  a:\n    extends: b\n  b:\n    extends: a\n  c:\n    extends: nothing\n');
    expect(errors.map((e) => e.message)).toEqual(expect.arrayContaining([expect.stringMatching(/extends itself/), expect.stringMatching(/nothing, which does not exist/)]));
  });

  it('pulls services in through include and marks profiles', () => {
    const files = { '/opt/app/db/compose.yaml': 'services:\n  db:\n    image: postgres:16\n    profiles: [storage]\n' };
    const { data } = parse('include:\n  - db/compose.yaml\nservices:\n  web:\n    image: nginx\n    profiles: [debug]\n', filesContext('/opt/app/compose.yaml', files, { COMPOSE_PROFILES: 'storage' }));
    expect(data!.services.db).toMatchObject({ file: '/opt/app/db/compose.yaml', profiles: ['storage'], enabled: true });
    expect(data!.services.web).toMatchObject({ profiles: ['debug'], enabled: false });
    expect(data!.profiles.sort()).toEqual(['debug', 'storage']);
  });
});

describe('compose validation', () => {
  it('reports each schema violation with its pointer and source line', () => {
    const { errors, data } = parse('services:\n  web:\n    image: nginx\n    cap_add: {x: 1}\n    unknown_key: 1\n');
    expect(data).not.toBeNull();
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ line: 4, message: expect.stringContaining('/services/web/cap_add must be array') }),
        expect.objectContaining({ line: 3, message: expect.stringContaining('unknown_key') }),
      ]),
    );
  });

  it('skips validation when asked', () => {
    expect(parseCompose(Buffer.from('services:\n  web:\n    privileged: maybe\n'), {}, { validate: false }).errors).toEqual([]);
  });

  it(`parses and validates all ${corpusFiles.length} corpus files`, () => {
    expect(corpusFiles.length).toBe(39);
    for (const url of corpusFiles) {
      const result = composeParser.parse(readFileSync(url), { path: url.pathname });
      expect(result.errors, url.pathname).toEqual([]);
      expect(Object.keys(result.data?.services ?? {}).length, url.pathname).toBeGreaterThan(0);
    }
  });
});

describe('compose bad input', () => {
  it('refuses YAML alias bombs', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) levels.push(`l${i}: &l${i} [${Array(9).fill(i === 1 ? '*a' : `*l${i - 1}`).join(', ')}]`);
    const { errors, data } = parse(`${levels.join('\n')}\n`);
    expect(data).toBeNull();
    expect(errors[0]?.message).toMatch(/alias/i);
  });

  it('reports YAML syntax errors and non-mapping documents with lines', () => {
    expect(parse('services:\n  web:\n    image: [unclosed\n').errors[0]?.line).toBeGreaterThanOrEqual(3);
    expect(parse('services:\n  web:\n    image: a\n  web:\n    image: b\n').errors).toEqual([{ message: 'Map keys must be unique', line: 4 }]);
    expect(parse('- just\n- a list\n').errors).toEqual([{ message: 'A compose file must be a mapping', line: 1 }]);
    expect(parse(`services: ${'['.repeat(10_000)}`).errors[0]?.message).toMatch(/nested too deeply/);
  });

  it('never throws on random bytes or mutated corpus files, and errors carry lines', () => {
    const samples = corpusFiles.slice(0, 10).map((url) => readFileSync(url));
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.uint8Array({ maxLength: 200 }), fc.nat(), (file, junk, at) => {
        const pos = at % (file.length + 1);
        for (const input of [Buffer.from(junk), Buffer.concat([file.subarray(0, pos), Buffer.from(junk), file.subarray(pos)])]) {
          const result = composeParser.parse(input, { path: '/x/compose.yaml' });
          expect(result.errors.every((e) => typeof e.line === 'number' && e.line >= 1)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('parses a 5 MB file and warns about invalid UTF-8', () => {
    // Few nodes with long values: the YAML library's cost grows with node count, not bytes.
    const service = (i: number) => `  s${i}:\n    image: app:${i}\n    labels: {note: "${'x'.repeat(10_000)}"}\n`;
    const big = `services:\n${Array.from({ length: 520 }, (_, i) => service(i)).join('')}`;
    expect(big.length).toBeGreaterThan(5_000_000);
    expect(Object.keys(composeParser.parse(Buffer.from(big)).data?.services ?? {})).toHaveLength(520);
    const latin1 = composeParser.parse(Buffer.concat([Buffer.from('services:\n  web:\n    image: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
    expect(latin1.warnings[0]).toMatchObject({ line: 3 });
  });

  it('refuses a huge file outside plain block style with an error naming the line, but reads a huge block-style file', () => {
    // 'services:' is one node, then three per line (key, flow map, image key): node 50,001 is on line 16,668.
    const flow = `services:\n${Array.from({ length: 20_000 }, (_, i) => `  s${i}: {image: app}\n`).join('')}`;
    const refused = parse(flow);
    expect(refused.data).toBeNull();
    expect(refused.errors).toEqual([{ message: 'YAML has more than 50000 nodes outside plain block style; not parsed', line: 16_668 }]);
    const block = `services:\n  app:\n    image: app\n    environment:\n${Array.from({ length: 60_000 }, (_, i) => `      - VAR_${i}=${i}\n`).join('')}`;
    const read = parse(block);
    expect(read.errors).toEqual([]);
    expect(Object.keys(read.data?.services.app?.environment ?? {})).toHaveLength(60_000);
  });
});
