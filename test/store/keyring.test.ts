import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfwatchError } from '../../src/errors.js';
import { open, seal } from '../../src/store/cipher.js';
import {
  createMasterKeyFile,
  generateMasterKey,
  keyIdFor,
  loadKeyRing,
  MASTER_KEY_FILE,
  writeKeyFile,
} from '../../src/store/keyring.js';

describe('key ring', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'cw-keys-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('creates master.key once, mode 0600, and never overwrites it', () => {
    expect(createMasterKeyFile(home)).toBe(true);
    const file = join(home, MASTER_KEY_FILE);
    const first = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first).toMatch(/^[0-9a-f]{16}:[A-Za-z0-9+/]{43}=\n$/);
    expect(createMasterKeyFile(home)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(loadKeyRing(home, {}).current.key).toHaveLength(32);
  });

  it('uses CONFWATCH_MASTER_KEY (hex or base64) over the file, with a derived id', () => {
    createMasterKeyFile(home);
    const key = Buffer.alloc(32, 7);
    const fromHex = loadKeyRing(home, { CONFWATCH_MASTER_KEY: key.toString('hex') });
    const fromBase64 = loadKeyRing(home, { CONFWATCH_MASTER_KEY: key.toString('base64') });
    expect(fromHex.current).toEqual({ id: keyIdFor(key), key });
    expect(fromBase64.current).toEqual(fromHex.current);
    expect(fromHex.source).toBe('env');
  });

  it('rejects malformed keys and a missing key file with clear codes', () => {
    expect(() => loadKeyRing(home, {})).toThrow(expect.objectContaining({ code: 'CW_ERR_NOT_INITIALISED' }));
    expect(() => loadKeyRing(home, { CONFWATCH_MASTER_KEY: 'too-short' })).toThrow(ConfwatchError);
    writeFileSync(join(home, MASTER_KEY_FILE), 'no-colon-here\n');
    expect(() => loadKeyRing(home, {})).toThrow(/master\.key:1/);
  });

  it('reads older keys from later lines and picks up keys added to the file', () => {
    const [a, b, c] = [generateMasterKey(), generateMasterKey(), generateMasterKey()];
    writeKeyFile(home, [a, b]);
    const ring = loadKeyRing(home, {});
    expect(ring.current.id).toBe(a.id);
    expect(ring.get(b.id).equals(b.key)).toBe(true);
    writeKeyFile(home, [c, a]);
    // A row sealed under a key the ring has not seen yet triggers a reload.
    expect(open(ring.get(c.id), seal(c.key, Buffer.from('x'), 'id'), 'id').toString()).toBe('x');
    expect(() => ring.get('unknown')).toThrow(expect.objectContaining({ code: 'CW_ERR_CRYPTO' }));
  });
});

describe('cipher', () => {
  it('binds sealed data to its associated data', () => {
    const { key } = generateMasterKey();
    const sealed = seal(key, Buffer.from('payload'), 'hash-a');
    expect(open(key, sealed, 'hash-a').toString()).toBe('payload');
    expect(() => open(key, sealed, 'hash-b')).toThrow(expect.objectContaining({ code: 'CW_ERR_CRYPTO' }));
    expect(() => open(generateMasterKey().key, sealed, 'hash-a')).toThrow(expect.objectContaining({ code: 'CW_ERR_CRYPTO' }));
  });
});
