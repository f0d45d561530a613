/**
 * `import --propose`: after the archive is verified, its files become one
 * change request (nothing is written); without change requests the mode is
 * refused before the archive is read.
 */
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfwatchError } from '../../src/errors.js';
import { ArchiveService } from '../../src/services/archive.service.js';
import type { ChangeRequestInput, ChangeRequestView } from '../../src/services/change-request.service.js';
import { ArchiveRepository } from '../../src/store/archive.repository.js';
import { openTempStore, type TempStore } from '../helpers/store.js';
import { MARKER, noBatch, seedHistory } from './archive-fixture.js';

describe('import --propose', () => {
  let source: TempStore;
  let target: TempStore;
  let dir: string;
  let file: string;
  beforeAll(async () => {
    source = await openTempStore('cw-propose-src-');
    target = await openTempStore('cw-propose-dst-');
    await seedHistory(source.store);
    await seedHistory(target.store);
    dir = mkdtempSync(join(tmpdir(), 'cw-propose-'));
    file = join(dir, 'a.tar.gz');
    await archiveOf(source).export(createWriteStream(file), { devices: ['web'] });
  });
  afterAll(async () => {
    await source?.close();
    await target?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const archiveOf = (t: TempStore, proposer?: ConstructorParameters<typeof ArchiveService>[0]['proposer']) =>
    new ArchiveService({ store: t.store, repository: new ArchiveRepository(t.store), batch: noBatch, ...(proposer ? { proposer } : {}) });

  it('hands the verified files to change requests as one proposal, as the given actor', async () => {
    const proposals: { actor: string; input: ChangeRequestInput }[] = [];
    const proposer = {
      propose: async (actor: string, input: ChangeRequestInput) => {
        proposals.push({ actor, input });
        return { id: '01KC0000000000000000000000', status: 'pending', riskLevel: 'MEDIUM', requiredApprovals: 1, title: input.title } as unknown as ChangeRequestView;
      },
    };
    const result = await archiveOf(target, proposer).import(file, { mode: 'propose', actor: 'admin' });
    expect(result.changeRequest).toMatchObject({ id: '01KC0000000000000000000000', status: 'pending', requiredApprovals: 1 });
    expect(proposals).toHaveLength(1);
    expect(proposals[0]!.actor).toBe('admin');
    const changes = proposals[0]!.input.changes.map((c) => ({ device: c.device, path: c.path, content: c.source.kind === 'content' ? c.source.content.toString() : null }));
    expect(changes.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { device: 'web', path: '/etc/app/.env', content: expect.stringContaining('PORT=8080') },
      { device: 'web', path: '/etc/app/app.conf', content: `listen 8081\n# ${MARKER}\n` },
    ]);

    // a refused archive never reaches the proposer
    const broken = join(dir, 'broken.tar.gz');
    writeFileSync(broken, Buffer.from('not an archive'));
    await expect(archiveOf(target, proposer).import(broken, { mode: 'propose', actor: 'admin' })).rejects.toMatchObject({ code: 'CW_ERR_ARCHIVE_FORMAT' });
    expect(proposals).toHaveLength(1);
  });

  it('is refused with one line when change requests are not there', async () => {
    const error = await archiveOf(target)
      .import(file, { mode: 'propose', actor: 'admin' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfwatchError);
    expect((error as ConfwatchError).code).toBe('CW_ERR_UNAVAILABLE');
  });
});
