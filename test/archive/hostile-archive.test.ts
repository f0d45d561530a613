/**
 * Archives an attacker could hand over are refused before anything is
 * written, naming the entry: the store keeps no device, version or blob,
 * and the write-back batch (the hosts) is never reached.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { pack as tarPack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_FORMAT, ARCHIVE_FORMAT_VERSION, type Manifest } from '../../src/archive/manifest.js';
import { ConfwatchError } from '../../src/errors.js';
import type { ImportMode } from '../../src/services/archive.service.js';
import { openTempStore, type TempStore } from '../helpers/store.js';
import { archiveService, seedHistory } from './archive-fixture.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const CONTENT = Buffer.from('listen 80\n');
const HASH = sha(CONTENT);

function manifest(blobs: { hash: string; size: number }[] = [{ hash: HASH, size: CONTENT.length }], extra: Partial<Manifest> = {}): Manifest {
  return {
    format: ARCHIVE_FORMAT,
    formatVersion: ARCHIVE_FORMAT_VERSION,
    confwatchVersion: 'test',
    createdAt: '2026-11-01T10:00:00.000Z',
    containsSecrets: true,
    encryption: null,
    history: true,
    devices: [{ name: 'web', transport: 'ssh', host: 'web.example', port: 22, user: 'ops', hostKey: null, jump: null, mode: 'realtime', pollIntervalSec: null, sudo: false, tags: [], profiles: [] }],
    files: [{ device: 'web', path: '/etc/app/app.conf', configType: 'generic', profile: 'custom', hash: HASH, hasContent: true, size: CONTENT.length, mode: 0o644, uid: 0, gid: 0, deleted: false }],
    changeSets: [],
    versions: [
      { id: '01JBZ0000000000000000000AA', device: 'web', path: '/etc/app/app.conf', configType: 'generic', profile: 'custom', changeType: 'initial', source: 'rescan', hash: HASH, hasContent: true, size: CONTENT.length, mode: 0o644, uid: 0, gid: 0, mtimeMs: null, movedFromPath: null, changeSetId: null, actor: null, detectedAt: '2026-11-01T10:00:00.000Z', baseline: true },
    ],
    blobs,
    ...extra,
  };
}

type Entry = { header: Parameters<ReturnType<typeof tarPack>['entry']>[0]; body?: Buffer };
const manifestEntry = (m: Manifest = manifest()): Entry => ({ header: { name: 'manifest.json' }, body: Buffer.from(JSON.stringify(m)) });
const blobEntry = (body: Buffer = CONTENT, name = `blobs/${sha(body)}`): Entry => ({ header: { name }, body });

async function tarGz(entries: Entry[]): Promise<Buffer> {
  const pack = tarPack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const ended = new Promise<void>((resolve) => pack.on('end', () => resolve()));
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      if (e.body) pack.entry(e.header, e.body, (err) => (err ? reject(err) : resolve()));
      else pack.entry(e.header, (err) => (err ? reject(err) : resolve())).end(undefined);
    });
  }
  pack.finalize();
  await ended;
  return gzipSync(Buffer.concat(chunks));
}

describe('hostile archives', () => {
  let target: TempStore;
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    target = await openTempStore('cw-hostile-');
    dir = mkdtempSync(join(tmpdir(), 'cw-hostile-archive-'));
  });
  afterAll(async () => {
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const untouched = async () => {
    expect(await target.store.listDevices()).toEqual([]);
    expect(await target.store.listTrackedFiles()).toEqual([]);
    const blobs = await target.store.db.selectFrom('blobs').select('hash').execute();
    expect(blobs).toEqual([]);
    expect(await target.store.db.selectFrom('change_sets').select('id').execute()).toEqual([]);
  };

  /** Imports the archive in every mode that writes; each must be refused with `code` and `message`, leaving everything as it was. */
  async function refused(bytes: Buffer, code: string, message: RegExp, options: { limits?: object; passphrase?: string } = {}) {
    const file = join(dir, `a${n++}.tar.gz`);
    writeFileSync(file, bytes);
    for (const mode of ['history-only', 'apply', 'dry-run'] as ImportMode[]) {
      const error = await archiveService(target.store)
        .import(file, { mode, actor: 'test', ...options })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error, mode).toBeInstanceOf(ConfwatchError);
      expect((error as ConfwatchError).code).toBe(code);
      expect((error as ConfwatchError).message).toMatch(message);
      expect((error as ConfwatchError).message).not.toContain('\n');
      await untouched();
    }
  }

  it('accepts the well-formed archive the other cases start from', async () => {
    const file = join(dir, 'good.tar.gz');
    writeFileSync(file, await tarGz([manifestEntry(), blobEntry()]));
    const result = await archiveService(target.store).import(file, { mode: 'history-only', actor: 'test', dryRun: true });
    expect(result.history).toMatchObject({ versions: 1, blobs: 1 });
    await untouched();
  });

  it('refuses an absolute path', async () => {
    await refused(await tarGz([manifestEntry(), blobEntry(), { header: { name: '/etc/cron.d/evil' }, body: Buffer.from('x') }]), 'CW_ERR_ARCHIVE_REFUSED', /"\/etc\/cron\.d\/evil" refused: absolute path/);
  });

  it('refuses ".."', async () => {
    await refused(await tarGz([manifestEntry(), blobEntry(), { header: { name: 'blobs/../../evil' }, body: Buffer.from('x') }]), 'CW_ERR_ARCHIVE_REFUSED', /"blobs\/\.\.\/\.\.\/evil" refused: path with "\.\."/);
  });

  it('refuses a symbolic link', async () => {
    await refused(
      await tarGz([manifestEntry(), { header: { name: `blobs/${HASH}`, type: 'symlink', linkname: '/etc/shadow' } }]),
      'CW_ERR_ARCHIVE_REFUSED',
      new RegExp(`"blobs/${HASH}" refused: symbolic link \\(to "/etc/shadow"\\)`),
    );
  });

  it('refuses a hard link', async () => {
    await refused(await tarGz([manifestEntry(), blobEntry(), { header: { name: 'blobs/x', type: 'link', linkname: 'manifest.json' } }]), 'CW_ERR_ARCHIVE_REFUSED', /"blobs\/x" refused: hard link/);
  });

  it('refuses a device file', async () => {
    await refused(await tarGz([manifestEntry(), blobEntry(), { header: { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 } }]), 'CW_ERR_ARCHIVE_REFUSED', /"null" refused: device file/);
  });

  it('refuses a FIFO', async () => {
    await refused(await tarGz([manifestEntry(), blobEntry(), { header: { name: 'pipe', type: 'fifo' } }]), 'CW_ERR_ARCHIVE_REFUSED', /"pipe" refused: FIFO/);
  });

  it('refuses a name with a NUL byte', async () => {
    await refused(
      await tarGz([manifestEntry(), blobEntry(), { header: { name: 'x', pax: { path: `blobs/${HASH}\u0000.sh` } }, body: CONTENT }]),
      'CW_ERR_ARCHIVE_REFUSED',
      /refused: its name holds a NUL byte/,
    );
  });

  it('refuses an entry over the size limit', async () => {
    const big = Buffer.alloc(4096, 'a');
    await refused(
      await tarGz([manifestEntry(manifest([{ hash: HASH, size: CONTENT.length }, { hash: sha(big), size: big.length }])), blobEntry(), blobEntry(big)]),
      'CW_ERR_ARCHIVE_REFUSED',
      new RegExp(`"blobs/${sha(big)}" refused: 4096 bytes, over the 1024-byte limit`),
      { limits: { maxEntryBytes: 1024 } },
    );
  });

  it('refuses a decompression bomb', async () => {
    const zeros = Buffer.alloc(24 * 1024 * 1024);
    const bytes = await tarGz([manifestEntry(manifest([{ hash: HASH, size: CONTENT.length }, { hash: sha(zeros), size: zeros.length }])), blobEntry(), blobEntry(zeros)]);
    expect(bytes.length).toBeLessThan(100 * 1024);
    await refused(bytes, 'CW_ERR_ARCHIVE_REFUSED', /"\(whole archive\)" refused: it expands to more than 8388608 bytes/, { limits: { maxTotalBytes: 8 * 1024 * 1024 } });
  });

  it('refuses a duplicate entry', async () => {
    await refused(await tarGz([manifestEntry(), blobEntry(), blobEntry()]), 'CW_ERR_ARCHIVE_REFUSED', new RegExp(`"blobs/${HASH}" refused: duplicate entry`));
  });

  it('refuses a blob whose bytes are not its hash', async () => {
    await refused(await tarGz([manifestEntry(), blobEntry(Buffer.from('listen 81\n'), `blobs/${HASH}`)]), 'CW_ERR_ARCHIVE_REFUSED', new RegExp(`"blobs/${HASH}" refused: its bytes hash to`));
  });

  it('refuses a manifest that does not match the entries', async () => {
    const other = Buffer.from('other\n');
    // a blob the manifest does not list
    await refused(await tarGz([manifestEntry(), blobEntry(), blobEntry(other)]), 'CW_ERR_ARCHIVE_REFUSED', new RegExp(`"blobs/${sha(other)}" refused: not listed in the manifest`));
    // a listed blob that is missing
    await refused(await tarGz([manifestEntry()]), 'CW_ERR_ARCHIVE_REFUSED', new RegExp(`"blobs/${HASH}" refused: listed in the manifest but missing`));
    // a version naming bytes the archive does not hold
    await refused(await tarGz([manifestEntry(manifest([])), blobEntry()]), 'CW_ERR_ARCHIVE_REFUSED', /refused: not listed in the manifest/);
    // no manifest at all
    await refused(await tarGz([blobEntry()]), 'CW_ERR_ARCHIVE_REFUSED', /"manifest\.json" refused: missing/);
    // an entry a confwatch archive never holds
    await refused(await tarGz([manifestEntry(), blobEntry(), { header: { name: 'run.sh' }, body: Buffer.from('x') }]), 'CW_ERR_ARCHIVE_REFUSED', /"run\.sh" refused: not an entry a confwatch archive holds/);
  });

  it('refuses a manifest naming a path that climbs out of its directory', async () => {
    const m = manifest();
    const climbing = { ...m, files: [{ ...m.files[0]!, path: '/etc/app/../../root/.ssh/authorized_keys' }] };
    await refused(await tarGz([manifestEntry(climbing), blobEntry()]), 'CW_ERR_ARCHIVE_REFUSED', /"manifest\.json" refused: files\.0\.path: not an absolute, normalised path/);
  });

  it('refuses another format version before reading further', async () => {
    await refused(await tarGz([manifestEntry({ ...manifest(), formatVersion: 2 }), blobEntry()]), 'CW_ERR_ARCHIVE_FORMAT', /archive format version 2 is not supported/);
  });

  it('refuses a wrong passphrase, and an encrypted archive without one', async () => {
    const source = await openTempStore('cw-hostile-src-');
    try {
      await seedHistory(source.store);
      const file = join(dir, 'enc.cwa');
      await archiveService(source.store).export(createWriteStream(file), { history: true, passphrase: 'right horse battery' });
      const { readFileSync } = await import('node:fs');
      const bytes = readFileSync(file);
      await refused(bytes, 'CW_ERR_ARCHIVE_PASSPHRASE', /wrong passphrase/, { passphrase: 'wrong horse' });
      await refused(bytes, 'CW_ERR_ARCHIVE_PASSPHRASE', /the archive is encrypted; give its passphrase/);
      // one flipped byte in the body is caught like a wrong passphrase
      const altered = Buffer.from(bytes);
      altered[altered.length - 40]! ^= 1;
      await refused(altered, 'CW_ERR_ARCHIVE_PASSPHRASE', /wrong passphrase, or the archive was altered/, { passphrase: 'right horse battery' });
    } finally {
      await source.close();
    }
  });
});
