import { describe, expect, it } from 'vitest';
import type { TrackedFile } from '../api/types.js';
import { filterFiles } from './file-filter.js';

const file = (path: string, over: Partial<TrackedFile> = {}): TrackedFile => ({
  device: 'web1',
  path,
  configType: 'generic',
  profile: 'custom',
  latestSnapshotId: null,
  baselineSnapshotId: null,
  contentHash: null,
  deleted: false,
  syncStatus: 'synced',
  validationStatus: 'valid',
  lastError: null,
  lastCheckedAt: null,
  size: null,
  mtimeMs: null,
  ...over,
});

const files = [
  file('/etc/nginx/nginx.conf', { configType: 'nginx' }),
  file('/etc/nginx/sites-enabled/App.conf', { configType: 'nginx', syncStatus: 'drifted' }),
  file('/opt/stacks/app/compose.yaml', { configType: 'compose', validationStatus: 'invalid' }),
];
const paths = (status: string, type: string, text: string) => filterFiles(files, { status, type, text }).map((f) => f.path);

describe('filterFiles', () => {
  it('keeps everything with empty filters', () => {
    expect(paths('', '', '  ')).toHaveLength(3);
  });

  it('filters by sync status, by validation "invalid", by type and by text, combined', () => {
    expect(paths('drifted', '', '')).toEqual(['/etc/nginx/sites-enabled/App.conf']);
    expect(paths('invalid', '', '')).toEqual(['/opt/stacks/app/compose.yaml']);
    expect(paths('', 'nginx', 'app')).toEqual(['/etc/nginx/sites-enabled/App.conf']);
    expect(paths('synced', 'nginx', 'sites')).toEqual([]);
  });
});
