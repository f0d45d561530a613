/**
 * An encrypted export: the bytes on disk hold nothing of the files (not
 * even compressed), the header says how it is encrypted, and the right
 * passphrase imports it.
 */
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTempStore, type TempStore } from '../helpers/store.js';
import { archiveService, MARKER, SECRET, seedHistory } from './archive-fixture.js';

describe('encrypted export', () => {
  let source: TempStore;
  let target: TempStore;
  let dir: string;
  beforeAll(async () => {
    source = await openTempStore('cw-enc-src-');
    target = await openTempStore('cw-enc-dst-');
    await seedHistory(source.store);
    dir = mkdtempSync(join(tmpdir(), 'cw-enc-'));
  });
  afterAll(async () => {
    await source?.close();
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hides every byte of the files and imports with the right passphrase', async () => {
    const plainFile = join(dir, 'plain.tar.gz');
    const encFile = join(dir, 'enc.cwa');
    await archiveService(source.store).export(createWriteStream(plainFile), { history: true });
    const result = await archiveService(source.store).export(createWriteStream(encFile), { history: true, passphrase: 'correct horse' });
    expect(result.encrypted).toBe(true);

    // the plain archive holds the marker once gunzipped; the encrypted one in no form
    expect(gunzipSync(readFileSync(plainFile)).includes(MARKER)).toBe(true);
    const encrypted = readFileSync(encFile);
    expect(encrypted.subarray(0, 11).toString()).toBe('CWARC-ENC1\n');
    const header = JSON.parse(encrypted.subarray(11, encrypted.indexOf(0x0a, 11)).toString()) as Record<string, unknown>;
    expect(header).toMatchObject({ cipher: 'aes-256-gcm', kdf: 'scrypt', N: 32768, r: 8, p: 1 });
    for (const needle of [MARKER, SECRET, 'manifest.json', 'web.example']) expect(encrypted.includes(needle), needle).toBe(false);
    expect(() => gunzipSync(encrypted)).toThrow();

    const imported = await archiveService(target.store).import(encFile, { mode: 'history-only', actor: 'test', passphrase: 'correct horse' });
    expect(imported.format.encrypted).toBe(true);
    expect(imported.history?.versions).toBe(result.versions);
    const app = await target.store.getTrackedFile('web', '/etc/app/app.conf');
    expect((await target.store.readContent({ contentHash: app!.contentHash })).toString()).toContain(MARKER);
  });
});
