/** Typed changes between two versions of an sshd_config. */
import { type Change, change } from '../change.js';
import { sshdSettings } from '../facts/sshd-facts.js';
import { changedKeys } from '../set-diff.js';

/** Each effective setting whose value changed; `from`/`to` null when unset (sshd's default applies). */
export function sshdDiff(oldData: unknown, newData: unknown, oldText?: string, newText?: string): Change[] {
  const a = sshdSettings(oldData, oldText);
  const b = sshdSettings(newData, newText);
  return changedKeys(a, b, (x, y) => x.toLowerCase() === y.toLowerCase()).map(({ key }) =>
    change('setting.changed', { key, from: a[key] ?? null, to: b[key] ?? null }, 'sshd'),
  );
}
