/**
 * Generators for the `parse-large` benchmark: about 5 MB of realistic but
 * stressful input per shape, for every parser. Each generator is seeded, so
 * a shape is the same bytes on every run and every machine.
 */
import type { ConfigType } from '../src/parsers/parser.js';

export const TARGET_BYTES = 5_000_000;

/** mulberry32: small, fast and good enough to vary names and values deterministically. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Gen {
  readonly int: (below: number) => number;
  readonly word: (length?: number) => string;
  readonly pick: <T>(items: readonly T[]) => T;
}

function gen(seed: number): Gen {
  const next = rng(seed);
  const int = (below: number) => Math.floor(next() * below);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const word = (length = 3 + int(8)) => Array.from({ length }, () => letters[int(26)]).join('');
  return { int, word, pick: (items) => items[int(items.length)]! };
}

/** Repeats `chunk(i)` until the text reaches the target size; `head`/`tail` wrap it. */
function fill(chunk: (i: number) => string, head = '', tail = ''): string {
  const parts = [head];
  let size = head.length + tail.length;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const part = chunk(i);
    parts.push(part);
    size += part.length;
  }
  parts.push(tail);
  return parts.join('');
}

type ShapeList = [name: string, generate: () => string][];

function nginxShapes(g: Gen): ShapeList {
  const server = (i: number) =>
    `  server {\n    listen ${1000 + (i % 60000)} ssl;\n    server_name ${g.word()}.${g.word()}.example.com www.${g.word()}.example.com;\n` +
    `    ssl_certificate /etc/ssl/${g.word()}.pem;\n    include /config/nginx/ssl.conf;\n` +
    `    location / {\n      set $upstream_app ${g.word()};\n      set $upstream_port ${g.int(65535)};\n      set $upstream_proto http;\n` +
    `      proxy_pass $upstream_proto://$upstream_app:$upstream_port;\n      proxy_set_header Host $host;\n    }\n` +
    `    location ~ ^/api/(?<path>.*)$ {\n      proxy_pass http://127.0.0.1:${g.int(65535)}/$path;\n      # ${g.word(40)}\n    }\n  }\n`;
  // Nested locations 40 deep, then back out: depth stays realistic, nesting is constant.
  const nested = () => {
    const depth = 40;
    let open = '';
    let close = '';
    for (let d = 0; d < depth; d++) {
      const pad = ' '.repeat(d + 2);
      open += `${pad}location /${g.word()}/ {\n${pad}  proxy_set_header X-Depth ${d};\n${pad}  add_header X-${g.word()} "${g.word()} ${g.word()}";\n`;
      close = `${pad}}\n${close}`;
    }
    return `  server {\n    listen 80;\n${open}${close}  }\n`;
  };
  // Lines of 50–200 KB: long quoted values, long argument lists, long comments.
  const longLine = (i: number) => {
    const size = 50_000 + g.int(150_000);
    if (i % 3 === 0) return `  set $v${i} "${g.word(size)}";\n`;
    if (i % 3 === 1) return `  server_name ${Array.from({ length: size / 12 }, () => `${g.word(6)}.test`).join(' ')};\n`;
    return `  # ${g.word(size)}\n  add_header X-Long '${'\\\''.repeat(50)}${g.word(size)}';\n`;
  };
  const tiny = (i: number) => (i % 50 === 49 ? '}\nhttp {\n' : `a${i % 10};b;c ${g.int(9)};`);
  return [
    ['many-servers', () => fill(server, 'http {\n', '}\n')],
    ['deep-locations', () => fill(nested, 'http {\n', '}\n')],
    ['long-lines', () => fill(longLine, 'http {\n', '}\n')],
    ['tiny-directives', () => fill(tiny, 'http {\n', '}\n')],
  ];
}

function composeShapes(g: Gen): ShapeList {
  const service = (i: number) =>
    `  svc${i}:\n    image: ghcr.io/${g.word()}/${g.word()}:${g.int(20)}.${g.int(20)}\n    container_name: svc${i}\n    restart: unless-stopped\n` +
    `    ports:\n      - "${10000 + (i % 50000)}:80"\n    volumes:\n      - ./data/svc${i}:/data\n      - /etc/localtime:/etc/localtime:ro\n` +
    `    environment:\n      - TZ=Europe/Berlin\n      - PUID=1000\n      - KEY_${g.word().toUpperCase()}=${g.word()}\n` +
    `    labels:\n      traefik.enable: "true"\n      traefik.http.routers.svc${i}.rule: Host(\`${g.word()}.example.com\`)\n` +
    `    depends_on:\n      - svc${Math.max(0, i - 1)}\n    networks: [front, back]\n`;
  const envEntry = (i: number) => `      - VAR_${i}_${g.word().toUpperCase()}=${g.word(20)}\n`;
  // Flow collections, anchors, aliases and merge keys on every service: the block reader declines it all.
  const flowService = (i: number) =>
    `  f${i}: &f${i} {image: "r/${g.word()}:${g.int(9)}", environment: {A: "${g.word()}", B: ${g.int(999)}, C: [${g.word()}, ${g.word()}, ${g.word()}]},` +
    ` ports: ["${1000 + (i % 60000)}:80", "${2000 + (i % 60000)}:443/udp"], labels: {x.${g.word()}: "y", z: "${g.word()}"}, command: [a, b, c, d, e, f]}\n` +
    (i > 0 ? `  m${i}: {<<: *f${i - 1}, container_name: m${i}}\n` : '');
  return [
    ['many-services', () => fill(service, 'services:\n', 'networks:\n  front: {}\n  back: {}\n')],
    ['huge-environment', () => fill(envEntry, 'services:\n  app:\n    image: app:1\n    environment:\n')],
    ['flow-anchors', () => fill(flowService, 'x-defaults: &defaults\n  restart: always\nservices:\n')],
  ];
}

function systemdShapes(g: Gen): ShapeList {
  const section = (i: number) =>
    `[Section${i}]\nDescription=${g.word()} ${g.word()}\nAfter=network.target ${g.word()}.service\n` +
    `Environment=A=${g.word()} "B=${g.word()} ${g.word()}"\nExecStart=/usr/bin/${g.word()} --${g.word()}\n# ${g.word(30)}\n`;
  const keys = (i: number) => `Key${i % 5000}=${g.word()} ${g.word()}\n`;
  const continued = (i: number) => `  --${g.word()}=${g.word(12)} \\\n${i % 1000 === 999 ? '  --end\nExecStart=/bin/run \\\n' : ''}`;
  return [
    ['many-sections', () => fill(section)],
    ['many-keys', () => fill(keys, '[Service]\n')],
    ['long-continuations', () => fill(continued, '[Service]\nExecStart=/usr/bin/run \\\n', '  --last\n')],
  ];
}

function sshdShapes(g: Gen): ShapeList {
  const match = () =>
    `Match User ${g.word()} Address 10.${g.int(256)}.${g.int(256)}.0/24\n    PasswordAuthentication no\n` +
    `    AllowTcpForwarding ${g.pick(['yes', 'no'])}\n    ForceCommand /usr/bin/${g.word()} "${g.word()} ${g.word()}"\n    X11Forwarding no\n`;
  const global = (i: number) => `${g.pick(['Port', 'HostKey', 'AcceptEnv', 'PermitRootLogin', 'Ciphers'])} ${g.word()}${i}\n`;
  return [
    ['many-matches', () => fill(match, 'Port 22\nPermitRootLogin no\n')],
    ['many-directives', () => fill(global)],
  ];
}

function genericShapes(g: Gen): [name: string, path: string, generate: () => string][] {
  const longText = () => `${g.word(100_000 + g.int(100_000))}\n`;
  const binary = (size: number) => {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = g.int(256);
    return bytes.toString('latin1');
  };
  const jsonItem = (i: number) => `${i === 0 ? '' : ','}{"id":${i},"name":"${g.word()}","tags":["${g.word()}","${g.word()}"],"on":true}\n`;
  const yamlItem = (i: number) => `- id: ${i}\n  name: ${g.word()}\n  tags: [${g.word()}, ${g.word()}]\n  nested: {a: 1, b: "${g.word()}"}\n`;
  const envLine = (i: number) => `KEY_${i}=${g.word(20)} # ${g.word()}\n`;
  const iniLine = (i: number) => (i % 20 === 0 ? `[section${i}]\n` : `key${i} = ${g.word(20)}\n`);
  return [
    ['text-long-lines', '/etc/hosts', () => fill(longText)],
    ['json-array', '/opt/app/data.json', () => fill(jsonItem, '[', ']')],
    ['yaml-list', '/opt/app/data.yaml', () => fill(yamlItem)],
    ['env-lines', '/opt/app/.env', () => fill(envLine)],
    ['env-unterminated-quote', '/opt/app/.env', () => fill(envLine, 'OPEN="\n')],
    ['ini-sections', '/etc/php/php.ini', () => fill(iniLine)],
    ['binary-as-yaml', '/opt/app/blob.yaml', () => binary(TARGET_BYTES)],
    ['binary-as-env', '/opt/app/.env', () => binary(TARGET_BYTES)],
  ];
}

/** A shape whose bytes are generated when asked for, so only one 5 MB input is alive at a time. */
export interface LazyShape {
  readonly name: string;
  readonly type: ConfigType;
  readonly path: string;
  readonly generate: () => Buffer;
}

/** Every shape of every parser (or of one); each has its own seed, so its bytes never depend on the others. */
export function largeShapes(only?: ConfigType): LazyShape[] {
  const shapes: LazyShape[] = [];
  const add = (type: ConfigType, path: string, list: (g: Gen) => ShapeList) => {
    list(gen(0)).forEach(([name], index) => {
      const generate = () => Buffer.from(list(gen(SEEDS[type] * 100 + index))[index]![1](), 'utf8');
      shapes.push({ name, type, path, generate });
    });
  };
  add('nginx', '/etc/nginx/nginx.conf', nginxShapes);
  add('compose', '/opt/stacks/big/compose.yaml', composeShapes);
  add('systemd', '/etc/systemd/system/big.service', systemdShapes);
  add('sshd', '/etc/ssh/sshd_config', sshdShapes);
  genericShapes(gen(0)).forEach(([name, path], index) => {
    // Binary shapes are raw bytes, not UTF-8 text.
    const generate = () => Buffer.from(genericShapes(gen(SEEDS.generic * 100 + index))[index]![2](), name.startsWith('binary') ? 'latin1' : 'utf8');
    shapes.push({ name, type: 'generic', path, generate });
  });
  return shapes.filter((shape) => !only || shape.type === only);
}

const SEEDS: Readonly<Record<ConfigType, number>> = { nginx: 1, compose: 2, systemd: 3, sshd: 4, env: 6, generic: 5 };
