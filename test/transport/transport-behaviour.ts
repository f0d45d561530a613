/**
 * The behaviour every Transport must have, run against LocalTransport and
 * SshTransport (against a real sshd) alike. The "remote" host is this
 * machine, so the tests check results with node:fs and pgrep directly.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeCapabilities } from '../../src/transport/probe.js';
import { raw, sh } from '../../src/transport/quote.js';
import { remoteJoin, remotePathFromBytes, remotePathToBytes } from '../../src/transport/remote-path.js';
import type { Transport } from '../../src/transport/transport.js';

export interface TransportFixture {
  readonly transport: Transport;
  cleanup(): Promise<void>;
}

const collectRecords = async (stream: AsyncIterable<Buffer>, count: number): Promise<string[]> => {
  const out: string[] = [];
  for await (const record of stream) {
    out.push(record.toString());
    if (out.length === count) break;
  }
  return out;
};

const processRunning = (marker: string): boolean => {
  try {
    execFileSync('pgrep', ['-f', marker], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

export function transportBehaviour(setup: () => Promise<TransportFixture>): void {
  let fixture: TransportFixture;
  let t: Transport;
  let dir: string;

  beforeAll(async () => {
    fixture = await setup();
    t = fixture.transport;
    dir = mkdtempSync(join(tmpdir(), 'cw-transport-'));
  });
  afterAll(async () => {
    await fixture?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('exec', () => {
    it('runs an argv with each element quoted, and returns exit code, stdout and stderr', async () => {
      const r = await t.exec(['sh', '-c', 'printf "%s|" "$@"; echo oops >&2; exit 7', 'x', 'a b', "it's", '$(id)']);
      expect(r.code).toBe(7);
      expect(r.stdout.toString()).toBe("a b|it's|$(id)|");
      expect(r.stderr.toString()).toBe('oops\n');
    });

    it('feeds stdin', async () => {
      const r = await t.exec(sh`wc -c`, { stdin: Buffer.alloc(70_000, 0xab) });
      expect(r.stdout.toString().trim()).toBe('70000');
    });
  });

  describe('run (persistent shell)', () => {
    it('answers many requests in order, concurrently issued', async () => {
      const results = await Promise.all(Array.from({ length: 60 }, (_, i) => t.run(sh`echo ${i}; exit ${i % 5}`)));
      results.forEach((r, i) => {
        expect(r.stdout.toString()).toBe(`${i}\n`);
        expect(r.code).toBe(i % 5);
      });
    });

    it('returns binary stdout exactly and passes binary stdin', async () => {
      const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const out = await t.run(sh`printf ${raw(`'${[...all].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}'`)}`);
      expect(out.stdout).toEqual(all);
      const echoed = await t.run(sh`cat`, { stdin: all });
      expect(echoed.stdout).toEqual(all);
      expect(echoed.code).toBe(0);
    });

    it('keeps cd and exit inside the request, and does not let a script read the control stream', async () => {
      await t.run(sh`cd / && exit 3`);
      await t.run(sh`cat`);
      const r = await t.run(sh`pwd; echo still-alive`);
      expect(r.stdout.toString()).toMatch(/still-alive\n$/);
      expect(r.stdout.toString().startsWith('/\n')).toBe(false);
    });

    it('times out a request that does not end and then works again', async () => {
      await expect(t.run(sh`sleep 5`, { timeoutMs: 300 })).rejects.toMatchObject({ code: 'CW_ERR_TRANSPORT_TIMEOUT' });
      expect((await t.run(sh`echo back`)).stdout.toString()).toBe('back\n');
    });
  });

  describe('stream', () => {
    it('yields newline records and stop() leaves no process behind', async () => {
      const marker = `cw-marker-${randomBytes(6).toString('hex')}`;
      const stream = t.stream(['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "line $i"; sleep 0.05; done', marker]);
      expect(await collectRecords(stream, 3)).toEqual(['line 1', 'line 2', 'line 3']);
      expect(processRunning(marker)).toBe(true);
      await stream.stop();
      expect(processRunning(marker)).toBe(false);
    });

    it('splits NUL records (with newlines inside) and reports the exit code and stderr', async () => {
      const stderr: string[] = [];
      const stream = t.stream(sh`printf 'a\\nb\\0c\\0'; echo warn >&2; exit 4`, { separator: 'nul', onStderr: (l) => stderr.push(l) });
      const records: string[] = [];
      for await (const r of stream) records.push(r.toString());
      expect(records).toEqual(['a\nb', 'c']);
      expect(await stream.exited).toBe(4);
      expect(stderr).toEqual(['warn']);
    });
  });

  describe('files', () => {
    it('writes and reads random binary and invalid UTF-8 byte-exactly', async () => {
      for (const size of [0, 1, 65_537, 300_000]) {
        const data = randomBytes(size);
        const path = join(dir, `bin-${size}`);
        await t.writeFileAtomic(path, data);
        expect(readFileSync(path)).toEqual(data);
        expect(await t.readFile(path)).toEqual(data);
      }
      const invalid = Buffer.from([0xc3, 0x28, 0xff, 0x0a, 0x00, 0xe2, 0x82]);
      writeFileSync(join(dir, 'invalid'), invalid);
      expect(await t.readFile(join(dir, 'invalid'))).toEqual(invalid);
    });

    it('keeps the mode of the replaced file, or applies the given one, and leaves no temp file', async () => {
      const path = join(dir, 'moded.conf');
      writeFileSync(path, 'old');
      chmodSync(path, 0o600);
      await t.writeFileAtomic(path, Buffer.from('new'));
      expect(statSync(path).mode & 0o7777).toBe(0o600);
      expect(readFileSync(path, 'utf8')).toBe('new');
      await t.writeFileAtomic(path, Buffer.from('newer'), { mode: 0o751 });
      expect(statSync(path).mode & 0o7777).toBe(0o751);
      expect(execFileSync('ls', ['-A', dir], { encoding: 'utf8' })).not.toMatch(/cw-write/);
    });

    it('creates parent directories when asked', async () => {
      const path = join(dir, 'a', 'b', 'new.conf');
      await t.writeFileAtomic(path, Buffer.from('x'), { mkdirs: true });
      expect(readFileSync(path, 'utf8')).toBe('x');
    });

    it('refuses a missing file and one over maxBytes with their codes', async () => {
      await expect(t.readFile(join(dir, 'nope'))).rejects.toMatchObject({ code: 'CW_ERR_FILE_NOT_FOUND' });
      writeFileSync(join(dir, 'big'), Buffer.alloc(2000));
      await expect(t.readFile(join(dir, 'big'), { maxBytes: 1000 })).rejects.toMatchObject({ code: 'CW_ERR_FILE_TOO_LARGE' });
      expect((await t.readFile(join(dir, 'big'), { maxBytes: 2000 })).length).toBe(2000);
    });

    it('stats files, directories and symlinks (lstat) and returns null for a missing path', async () => {
      const file = join(dir, 'st');
      writeFileSync(file, 'hello');
      chmodSync(file, 0o640);
      symlinkSync(file, join(dir, 'st-link'));
      const local = lstatSync(file);
      const st = await t.stat(file);
      expect(st).toMatchObject({ type: 'file', size: 5, mode: 0o640, uid: local.uid, gid: local.gid, ino: local.ino });
      expect(Math.abs((st?.mtimeMs ?? 0) - local.mtimeMs)).toBeLessThan(1);
      expect((await t.stat(dir))?.type).toBe('directory');
      expect((await t.stat(join(dir, 'st-link')))?.type).toBe('symlink');
      expect(await t.stat(join(dir, 'missing'))).toBeNull();
    });
  });

  it('probes the capabilities of the host in one request', async () => {
    const caps = await probeCapabilities(t);
    const local = (tool: string) => execFileSync('sh', ['-c', `command -v ${tool} || true`], { encoding: 'utf8' }).trim() !== '';
    expect(caps.inotifywait.present).toBe(local('inotifywait'));
    if (caps.inotifywait.present) {
      expect(execFileSync('sh', ['-c', 'inotifywait --help 2>&1 | head -n 1'], { encoding: 'utf8' })).toContain(caps.inotifywait.version);
    }
    expect(caps).toMatchObject({ sha256sum: local('sha256sum'), tar: local('tar'), sudo: local('sudo'), statFormat: true, findPrintf: true, busybox: false });
  });

  describe('quoting', () => {
    // names are arbitrary bytes except NUL and '/', biased towards shell metacharacters
    const tricky = ['\n', '|', "'", '"', '`', ';', '-', ' ', '$', '(', ')', '*', '\\', '&', '>', '<', 'é', '😀'].map((s) => Buffer.from(s));
    const byte = fc.integer({ min: 1, max: 255 }).filter((b) => b !== 0x2f);
    const piece = fc.oneof(
      fc.constantFrom(...tricky),
      fc.uint8Array({ minLength: 1, maxLength: 4 }).map((a) => Buffer.from(a.map((b) => (b === 0 || b === 0x2f ? 0x78 : b)))),
      fc.constant(Buffer.from([0xff, 0xfe])),
      byte.map((b) => Buffer.from([b])),
    );

    it('creates, lists and reads back files with arbitrary byte names, and runs nothing in them', async () => {
      // names cannot hold '/', so the injected commands touch a relative name in the command's working directory
      const pwned = `pwned-${randomBytes(6).toString('hex')}`;
      const injection = Buffer.from(`$(touch ${pwned})\`touch ${pwned}\`;touch ${pwned}`);
      const name = fc
        .tuple(fc.array(piece, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.boolean())
        .map(([parts, dash, inject]) => Buffer.concat([...(dash ? [Buffer.from('-')] : []), ...parts, ...(inject ? [injection] : [])]))
        .filter((n) => n.length < 200 && !n.equals(Buffer.from('.')) && !n.equals(Buffer.from('..')));
      let round = 0;
      await fc.assert(
        fc.asyncProperty(name, async (bytes) => {
          const sub = join(dir, `q${round++}`);
          const path = remoteJoin(sub, bytes);
          const created = await t.run(sh`mkdir -p ${sub} && cd ${sub} && printf x > ${path}`);
          expect(created.code).toBe(0);
          const listed = await t.run(sh`cd ${sub} && find . -mindepth 1 -print0`);
          const names = listed.stdout.toString('latin1').split('\0').filter(Boolean).map((n) => Buffer.from(n.slice(2), 'latin1'));
          expect(names.map((n) => remotePathFromBytes(n))).toEqual([remotePathFromBytes(bytes)]);
          expect(await t.readFile(path)).toEqual(Buffer.from('x'));
          expect(remotePathToBytes(path).subarray(-bytes.length)).toEqual(bytes);
          expect(existsSync(join(sub, pwned))).toBe(false);
        }),
        { numRuns: 50 },
      );
    });
  });
}
