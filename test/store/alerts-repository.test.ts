/**
 * The alert outbox on SQLite and PostgreSQL (migration 0013): channel URLs
 * and payloads never stored in clear, one delivery per channel and dedup
 * key however often it is queued, due rows, retries and removal.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { AlertRepository } from '../../src/store/alerts.repository.js';
import { SQLITE_FILE } from '../../src/store/database.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import { describeUnless } from '../helpers/components.js';
import { createTarget, POSTGRES_URL, postgresUnavailable, type TargetInstance } from './store-targets.js';

const TOKEN = 'Tok3nInTheUrl9';
const DIFF_MARKER = 'PayloadMarker55';
const pgMissing = await postgresUnavailable();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describeUnless(dialect === 'postgres' ? (pgMissing ?? null) : null, `alert outbox (${dialect})`, () => {
    let target: TargetInstance;
    let store: KyselyStore;
    let repo: AlertRepository;

    beforeEach(async () => {
      target = await createTarget(dialect);
      store = await openStore({ home: target.home, databaseUrl: target.databaseUrl, env: {} });
      repo = new AlertRepository(store);
    });
    afterEach(async () => {
      await store.close();
      await target.dispose();
    });

    const delivery = (dedupKey: string, at = '2026-12-02T10:00:00.000Z') => ({
      channel: 'hook',
      event: 'config.changeset',
      device: 'box',
      riskLevel: 'HIGH',
      dedupKey,
      status: 'queued' as const,
      nextAttemptAt: at,
      payload: { title: 't', diff: `+${DIFF_MARKER}` },
    });

    it('stores channel URLs and payloads sealed, and gives them back in clear', async () => {
      await repo.addChannel({ name: 'hook', kind: 'json', url: `json://h.example.com/x?secret=${TOKEN}`, minRisk: null });
      await repo.enqueue([delivery('k1')]);
      expect((await repo.getChannel('hook'))?.url).toBe(`json://h.example.com/x?secret=${TOKEN}`);
      expect((await repo.log(5))[0]?.payload).toEqual({ title: 't', diff: `+${DIFF_MARKER}` });
      await expect(repo.addChannel({ name: 'hook', kind: 'json', url: 'json://other/x', minRisk: null })).rejects.toMatchObject({ code: 'CW_ERR_ALREADY_EXISTS' });
      if (dialect === 'sqlite') {
        await store.close();
        const files = [SQLITE_FILE, `${SQLITE_FILE}-wal`].map((f) => join(target.home, f)).filter(existsSync);
        for (const file of files) for (const marker of [TOKEN, DIFF_MARKER]) expect(readFileSync(file).includes(marker), `${marker} in ${file}`).toBe(false);
        store = await openStore({ home: target.home, env: {} });
      } else {
        const dump = execFileSync('pg_dump', ['--data-only', '--schema', target.schema as string, POSTGRES_URL], { encoding: 'utf8' });
        expect(dump).toContain('alert_channels');
        expect(dump).not.toContain(TOKEN);
        expect(dump).not.toContain(DIFF_MARKER);
      }
    });

    it('queues a delivery once per channel and dedup key, and retries it until it is sent', async () => {
      await repo.addChannel({ name: 'hook', kind: 'json', url: 'json://h/x', minRisk: null });
      const [first] = await repo.enqueue([delivery('cs:1')]);
      expect(await repo.enqueue([delivery('cs:1'), delivery('cs:1')])).toEqual([]);
      expect(await repo.log(10)).toHaveLength(1);
      expect((await repo.due(new Date('2026-12-02T10:00:00.000Z'), 10)).map((d) => d.id)).toEqual([first?.id]);
      await repo.update(first?.id as string, { status: 'queued', attempts: 1, nextAttemptAt: '2026-12-02T10:00:05.000Z', lastError: 'connection refused' });
      expect(await repo.due(new Date('2026-12-02T10:00:04.000Z'), 10)).toEqual([]);
      expect(await repo.nextDue()).toBe('2026-12-02T10:00:05.000Z');
      await repo.update(first?.id as string, { status: 'sent', attempts: 2, lastError: null, receiverStatus: '200' });
      expect((await repo.log(10))[0]).toMatchObject({ status: 'sent', attempts: 2, receiverStatus: '200', lastError: null });
      expect(await repo.nextDue()).toBeUndefined();
    });

    it('fails what still waits for a removed channel', async () => {
      await repo.addChannel({ name: 'hook', kind: 'json', url: 'json://h/x', minRisk: null });
      await repo.enqueue([delivery('a'), { ...delivery('b'), status: 'held', holdGroup: 'digest:r:hook' }]);
      expect(await repo.holdRelease('digest:r:hook')).toBe('2026-12-02T10:00:00.000Z');
      expect(await repo.removeChannel('hook')).toBe(true);
      expect((await repo.log(10)).map((d) => [d.status, d.lastError])).toEqual([
        ['failed', 'channel removed'],
        ['failed', 'channel removed'],
      ]);
      expect(await repo.removeChannel('hook')).toBe(false);
    });
  });
}
