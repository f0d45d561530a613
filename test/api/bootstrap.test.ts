/** `bootstrapAdmin()` on a fresh database, as `confwatch init` uses it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditRecorder } from '../../src/auth/audit-recorder.js';
import { AuthRepository } from '../../src/auth/auth.repository.js';
import { AuthService } from '../../src/services/auth.service.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import { openStore } from '../../src/store/open-store.js';

let home: string;
let store: KyselyStore;

afterEach(async () => {
  await store.close();
  rmSync(home, { recursive: true, force: true });
});

describe('bootstrapAdmin', () => {
  it('creates user admin with a one-time token once, and is idempotent afterwards', async () => {
    home = mkdtempSync(join(tmpdir(), 'cw-boot-'));
    createMasterKeyFile(home);
    store = await openStore({ home, env: {} });
    const auth = new AuthService(new AuthRepository(store.db), new AuditRecorder(store));
    const token = await auth.bootstrapAdmin();
    expect(token).toMatch(/^cw_[0-9a-f]{8}_[A-Za-z0-9_-]{43}$/);
    expect(await auth.authenticateToken(token as string)).toMatchObject({ user: 'admin', role: 'admin' });
    expect((await auth.authenticateToken(token as string)).scopes.has('secrets:view')).toBe(true);
    expect(await auth.bootstrapAdmin()).toBeUndefined();
    expect((await store.listAudit()).map((e) => e.action)).toContain('user.bootstrap-admin');
    // Only the hash is stored.
    const rows = await store.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});
