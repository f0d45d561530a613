/** Per-device problem counts for the dashboard. */
import type { TrackedFile } from '../api/types.js';

export interface FileCounts {
  readonly total: number;
  /** Live content differs from the baseline, or the file is gone. */
  readonly drifted: number;
  readonly invalid: number;
  /** confwatch could not read the file (permissions, host errors). */
  readonly unreachable: number;
}

export function countFiles(files: readonly TrackedFile[]): Map<string, FileCounts> {
  const counts = new Map<string, FileCounts>();
  for (const f of files) {
    const c = counts.get(f.device) ?? { total: 0, drifted: 0, invalid: 0, unreachable: 0 };
    counts.set(f.device, {
      total: c.total + 1,
      drifted: c.drifted + (f.syncStatus === 'drifted' || f.syncStatus === 'missing' ? 1 : 0),
      invalid: c.invalid + (f.validationStatus === 'invalid' ? 1 : 0),
      unreachable: c.unreachable + (f.syncStatus === 'unreadable' || f.syncStatus === 'error' ? 1 : 0),
    });
  }
  return counts;
}
