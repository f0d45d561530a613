/** The device page's file filters: status, config type and free text. */
import type { TrackedFile } from '../api/types.js';

export interface FileFilter {
  /** A syncStatus, `invalid` (validation), or '' for all. */
  readonly status: string;
  /** A configType, or '' for all. */
  readonly type: string;
  /** Case-insensitive substring of the path; '' for all. */
  readonly text: string;
}

export function filterFiles(files: readonly TrackedFile[], filter: FileFilter): TrackedFile[] {
  const text = filter.text.trim().toLowerCase();
  return files.filter(
    (f) =>
      (filter.status === '' || (filter.status === 'invalid' ? f.validationStatus === 'invalid' : f.syncStatus === filter.status)) &&
      (filter.type === '' || f.configType === filter.type) &&
      (text === '' || f.path.toLowerCase().includes(text)),
  );
}
