import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { quote } from '../transport/quote.js';
import { remotePathFromBytes } from '../transport/remote-path.js';
import { buildFetchScript, buildListingScript, MAX_LISTING_BYTES, parseFetch, parseListing } from './poll-script.js';
import { sha256Hex } from '../hash.js';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

const hostileNames: Buffer[] = [
  Buffer.from('/srv/new\nline.conf'),
  Buffer.from('/srv/pipe|name.conf'),
  Buffer.from(`/srv/it's "quoted".conf`),
  Buffer.from('/srv/$(touch /tmp/pwned-X).conf'),
  Buffer.from('/srv/`id`.conf'),
  Buffer.from('/srv/-leading dash.conf'),
  Buffer.concat([Buffer.from('/srv/'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from('.conf')]),
];

const nul = (...parts: (string | Buffer)[]) => Buffer.concat(parts.flatMap((p) => [Buffer.from(p), Buffer.alloc(1)]));

describe('parseListing', () => {
  it('keeps hostile names byte-exact and attaches hashes by name', () => {
    const records = hostileNames.flatMap((name, i) => [`f ${i} 1700000000.1234567890 ${100 + i} 640 0 33`, name]);
    const hashes = hostileNames.map((name, i) => Buffer.concat([Buffer.from(`${i % 2 ? HASH_A : HASH_B}  `), name]));
    const listing = parseListing(nul('CW2 inc 1700000100', ...records, '#hashes', ...hashes.slice(1)));
    expect(listing.incremental).toBe(true);
    expect(listing.remoteTime).toBe(1_700_000_100);
    expect(listing.entries.map((e) => e.path)).toEqual(hostileNames.map((n) => remotePathFromBytes(n)));
    expect(listing.entries[0]).toMatchObject({ type: 'file', size: 0, mtimeMs: 1_700_000_000_123, ino: 100, mode: 0o640, gid: 33, hash: null });
    expect(listing.entries[1]?.hash).toBe(HASH_A);
    expect(listing.entries[6]?.path.startsWith('b64:')).toBe(true);
  });

  it('reads busybox stat records, link targets and gzipped output; a link never carries a hash', () => {
    const output = nul(
      'CW2 full 5',
      'S a1ff 12 0 0 7 1700000001 2023-11-14 22:13:21.500000000 +0000',
      '/srv/x.conf',
      'new\nline/target',
      'l 9 1700000000 8 777 0 0',
      '/srv/y.conf',
      '/dev/zero',
      '#hashes',
      `${HASH_A}  /srv/x.conf`,
    );
    const listing = parseListing(gzipSync(output));
    expect(listing.incremental).toBe(false);
    expect(listing.entries).toEqual([
      { path: '/srv/x.conf', type: 'symlink', size: 12, mtimeMs: 1_700_000_001_500, ino: 7, mode: 0o777, uid: 0, gid: 0, hash: null, target: 'new\nline/target' },
      { path: '/srv/y.conf', type: 'symlink', size: 9, mtimeMs: 1_700_000_000_000, ino: 8, mode: 0o777, uid: 0, gid: 0, hash: null, target: '/dev/zero' },
    ]);
  });

  it('refuses a gzip bomb instead of inflating it', () => {
    const bomb = gzipSync(Buffer.concat([nul('CW2 full 5', '#hashes'), Buffer.alloc(1024 * 1024)]));
    expect(() => parseListing(bomb, { maxBytes: 64 * 1024 })).toThrow(expect.objectContaining({ code: 'CW_ERR_REMOTE_OUTPUT_TOO_LARGE' }));
    expect(MAX_LISTING_BYTES).toBeGreaterThan(64 * 1024 * 1024);
  });

  it('refuses output that is cut short, so a lost tail never looks like deleted files', () => {
    const full = nul('CW2 full 1', 'f 1 1 1 644 0 0', '/srv/a', '#hashes');
    expect(() => parseListing(full.subarray(0, full.length - 3))).toThrow(/hash section/);
    expect(() => parseListing(nul('CW2 full 1', 'f 1 1 1 644 0 0'))).toThrow();
    expect(() => parseListing(nul('CW2 full 1', 'l 1 1 1 777 0 0', '/srv/l'))).toThrow(/inside a record/);
    expect(() => parseListing(nul('bash: find: not found'))).toThrow(/header/);
    expect(() => parseListing(Buffer.concat([nul('CW2 full 1', '#hashes'), Buffer.from(`${HASH_A}  /srv/a`)]))).toThrow(/inside a record/);
  });

  it('refuses malformed metadata', () => {
    expect(() => parseListing(nul('CW2 full 1', 'f one 1 1 644 0 0', '/srv/a', '#hashes'))).toThrow(/malformed/);
  });
});

describe('buildListingScript', () => {
  it('quotes every root and pattern, and never inlines them raw', () => {
    const root = '/srv/$(touch /tmp/pwned-X)';
    const script = buildListingScript({ roots: [root], namePatterns: ["*'.conf"], flavour: 'gnu' }).bytes;
    expect(script.includes(quote(root))).toBe(true);
    expect(script.includes(quote("*'.conf"))).toBe(true);
    expect(script.toString().replaceAll(quote(root).toString(), '')).not.toContain('$(touch');
  });

  it('leaves no file at a predictable name: temp files live in a fresh mktemp -d directory', () => {
    const script = buildListingScript({ roots: ['/srv'], namePatterns: null, since: 1_700_000_000 }).bytes.toString();
    expect(script).toContain('mktemp -d');
    expect(script).not.toMatch(/\.mark|confwatch-scan/);
    expect(script).toContain("since='1700000000'");
  });
});

describe('parseFetch', () => {
  const stat = 'a1a4 5 0 0 9 1700000000 2023-11-14 22:13:20.250000000 +0000';
  const requests = [
    { path: '/srv/a', maxBytes: 10 },
    { path: '/srv/gone', maxBytes: 10 },
    { path: '/srv/secret', maxBytes: 10 },
    { path: '/srv/big', maxBytes: 1 },
  ];

  it('splits framed contents, including NUL and newline bytes, in request order', () => {
    const content = Buffer.from([0x00, 0x0a, 0xff, 0x4f, 0x4b]);
    const output = Buffer.concat([nul('CWF2 each', `OK 5 ${stat}`), content, nul('ENOENT', 'EACCES', `BIG ${HASH_B} ${stat}`)]);
    const results = parseFetch(output, requests);
    expect(results.map((r) => r.status)).toEqual(['ok', 'missing', 'unreadable', 'too-large']);
    expect(results[0]).toMatchObject({ status: 'ok', content, stat: { size: 5, mode: 0o644, mtimeMs: 1_700_000_000_250 } });
    expect(results[3]).toMatchObject({ status: 'too-large', hash: HASH_B });
  });

  it('throws when the output is truncated', () => {
    expect(() => parseFetch(Buffer.concat([nul('CWF2 each', `OK 5 ${stat}`), Buffer.from('abc')]), requests)).toThrow(/inside a file/);
    expect(() => parseFetch(nul('CWF2 each', 'ENOENT'), requests)).toThrow(/ended early/);
    expect(() => parseFetch(Buffer.concat([nul('CWF2 each', `OK 11 ${stat}`), Buffer.alloc(11)]), requests)).toThrow(/over its limit/);
    expect(() => parseFetch(nul('sh: tar: not found'), requests)).toThrow(/header/);
  });

  it('reads the GNU form: lstat records, hashes of large files and a tar archive of the rest', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-fetch-'));
    const names = [Buffer.from(`${dir}/new\nline`), Buffer.from(`${dir}/${'long-'.repeat(30)}name`), Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0xff])])];
    for (const [i, n] of names.entries()) writeFileSync(n, Buffer.from([0, i, 0x0a]));
    const archive = execFileSync('tar', ['-c', '-P', '-b', '1', '--null', '-T', '-', '-f', '-'], { input: Buffer.concat(names.slice(0, 2).flatMap((n) => [n, Buffer.alloc(1)])) });
    const paths = names.map((n) => remotePathFromBytes(n));
    const hashOf = (name: Buffer, hash: string) => Buffer.concat([Buffer.from(`${hash}  `), name]);
    const build = (secondHash: string) =>
      Buffer.concat([
        nul('CWF2 gnu', 'G', 'f 3 1700000000.5 11 644 0 0', names[0] as Buffer, 'f 3 1700000000 12 600 0 0', names[1] as Buffer, 'f 300 1700000000 13 644 0 0', names[2] as Buffer),
        nul('l 9 1700000000 14 777 0 0', `${dir}/link`, '/dev/zero', 'H'),
        nul(hashOf(names[0] as Buffer, sha256Hex(Buffer.from([0, 0, 0x0a]))), hashOf(names[1] as Buffer, secondHash), hashOf(names[2] as Buffer, HASH_A), 'T'),
        archive,
      ]);
    const output = build(sha256Hex(Buffer.from([0, 1, 0x0a])));
    const reqs = [...paths.map((path) => ({ path, maxBytes: 100 })), { path: `${dir}/gone`, maxBytes: 100 }, { path: `${dir}/link`, maxBytes: 100 }];
    const results = parseFetch(output, reqs);
    rmSync(dir, { recursive: true, force: true });
    expect(results.map((r) => r.status)).toEqual(['ok', 'ok', 'too-large', 'missing', 'link']);
    expect(results[4]).toMatchObject({ target: '/dev/zero' });
    // bytes that are not the bytes hashed (tar pads a file that shrank with zeros) are never kept
    expect(parseFetch(build(HASH_B), reqs).map((r) => r.status)).toEqual(['ok', 'unstable', 'too-large', 'missing', 'link']);
    // archived bytes over the limit are dropped, whatever the listing said
    expect(parseFetch(output, reqs.map((r) => ({ ...r, maxBytes: 2 }))).slice(0, 2).map((r) => r.status)).toEqual(['too-large', 'too-large']);
    expect(results[0]).toMatchObject({ content: Buffer.from([0, 0, 0x0a]), stat: { mtimeMs: 1_700_000_000_500, ino: 11 } });
    expect(results[1]).toMatchObject({ content: Buffer.from([0, 1, 0x0a]), stat: { mode: 0o600 } });
    expect(results[2]).toMatchObject({ hash: HASH_A, stat: { size: 300 } });
    expect(() => parseFetch(output.subarray(0, output.length - 600), reqs)).toThrow(/archive ended early/);
  });

  it('builds one script that names every requested path quoted', () => {
    const script = buildFetchScript(requests).bytes;
    for (const r of requests) expect(script.includes(quote(r.path))).toBe(true);
  });
});
