import { describe, expect, it } from 'vitest';
import { isSshFingerprint, judgeHostKey, sshFingerprint } from './host-key.js';

// ssh-ed25519 blob of a fixed key and the fingerprint `ssh-keygen -l` prints for it
const BLOB = Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIDCXMweUy3O/6MWObHMKgW0Yb+EF0HA/LXrjoh3C/iIg', 'base64');
const FP = 'SHA256:+Tputz3PhTVL9NMv0l6Qsa8nev0pRlI6xJPoT2Sd3Co';

describe('host key fingerprints', () => {
  it('match the OpenSSH format', () => {
    const fp = sshFingerprint(BLOB);
    expect(fp).toBe(FP);
    expect(isSshFingerprint(fp)).toBe(true);
    expect(isSshFingerprint('SHA256:short')).toBe(false);
  });

  it('accept the pinned key and refuse another or an unpinned one', () => {
    expect(judgeHostKey({ pinned: FP }, BLOB)).toEqual({ ok: true, presented: FP });
    expect(judgeHostKey({ pinned: 'SHA256:other' }, BLOB)).toEqual({ ok: false, presented: FP, reason: 'mismatch' });
    expect(judgeHostKey({ pinned: null }, BLOB)).toEqual({ ok: false, presented: FP, reason: 'unknown' });
    expect(judgeHostKey({ pinned: null, trustOnFirstUse: true }, BLOB).ok).toBe(true);
  });
});
