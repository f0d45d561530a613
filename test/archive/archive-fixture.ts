/**
 * A store with history to export: two devices, files with several
 * versions by different actors, change sets, a deleted file and a moved
 * baseline, and the ArchiveService over it.
 */
import { ArchiveService } from '../../src/services/archive.service.js';
import { ArchiveRepository } from '../../src/store/archive.repository.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import type { NewSnapshot } from '../../src/store/snapshot-store.js';
import { customProfile } from '../helpers/store.js';

/** A marker in a file's bytes: it must never show in an encrypted archive or a redacted mirror. */
export const MARKER = 'MARKER-7f3a9c';
export const SECRET = 's3cr3t-Value-0451';

/** The batch engine for tests that must never reach it. */
export const noBatch: ConstructorParameters<typeof ArchiveService>[0]['batch'] = {
  applyChanges: () => {
    throw new Error('this test must not run a write-back batch');
  },
};

export function archiveService(store: KyselyStore, batch = noBatch): ArchiveService {
  return new ArchiveService({ store, repository: new ArchiveRepository(store), batch });
}

const at = (minute: number) => new Date(Date.UTC(2026, 10, 1, 10, minute, 0)).toISOString();

/** Seeds two devices and their history; returns the number of versions stored. */
export async function seedHistory(store: KyselyStore): Promise<number> {
  for (const name of ['web', 'db']) {
    await store.addDevice(
      { name, transport: 'ssh', host: `${name}.example`, port: 22, user: 'ops', identityFile: '/home/ops/.ssh/id_ed25519', hostKey: 'SHA256:abc', mode: 'realtime', pollIntervalSec: null, sudo: false, jump: null, tags: ['prod'], passphrase: 'key-passphrase' },
      [customProfile(name, ['/etc/app/**'])],
    );
  }
  const snap = (device: string, path: string, content: string | null, minute: number, extra: Partial<NewSnapshot> = {}): NewSnapshot => ({
    device,
    path,
    configType: 'generic',
    profile: 'custom',
    changeType: content === null ? 'deleted' : 'modified',
    source: 'realtime',
    ...(content === null ? {} : { content: Buffer.from(content) }),
    detectedAt: at(minute),
    ...extra,
  });
  let count = 0;
  const record = async (inputs: NewSnapshot[]) => {
    count += (await store.recordSnapshots(inputs)).length;
  };
  await record([snap('web', '/etc/app/app.conf', `listen 80\n# ${MARKER}\n`, 1, { changeType: 'initial', source: 'rescan', mode: 0o644, uid: 0, gid: 0 })]);
  await record([snap('web', '/etc/app/.env', `DB_PASSWORD=${SECRET}\nPORT=80\n`, 1, { changeType: 'initial', source: 'rescan', mode: 0o600, uid: 0, gid: 0 })]);
  const set = await store.openChangeSet('web', 'port change', at(5));
  await record([
    snap('web', '/etc/app/app.conf', `listen 8080\n# ${MARKER}\n`, 5, { changeSetId: set.id, actor: 'alice', mode: 0o644, uid: 0, gid: 0 }),
    snap('web', '/etc/app/.env', `DB_PASSWORD=${SECRET}\nPORT=8080\n`, 5, { changeSetId: set.id, actor: 'alice', mode: 0o600, uid: 0, gid: 0 }),
  ]);
  await store.closeChangeSet(set.id, 'port change', 2, at(6));
  await record([snap('web', '/etc/app/app.conf', `listen 8081\n# ${MARKER}\n`, 9, { actor: 'bob', source: 'restore', setBaseline: true, mode: 0o644, uid: 0, gid: 0 })]);
  await record([snap('db', '/etc/app/db.conf', `max_connections 100\n`, 2, { changeType: 'initial', source: 'rescan', mode: 0o640, uid: 0, gid: 0 })]);
  await record([snap('db', '/etc/app/old.conf', 'old\n', 2, { changeType: 'initial', source: 'rescan' })]);
  await record([snap('db', '/etc/app/old.conf', null, 12, { actor: 'carol' })]);
  await record([snap('db', '/etc/app/db.conf', `max_connections 200\n`, 14, { mode: 0o640, uid: 0, gid: 0 })]);
  return count;
}
