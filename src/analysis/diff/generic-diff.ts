/** Changed keys between two versions of a JSON/YAML/TOML/INI/.env file (values left out), or a text change. */
import { type Change, change } from '../change.js';
import { asRecord, isRecord, jsonEqual } from '../loose-data.js';
import { changedKeys } from '../set-diff.js';

export function genericDiff(oldData: unknown, newData: unknown): Change[] {
  const a = asRecord(oldData);
  const b = asRecord(newData);
  if (a.format === 'text' || b.format === 'text' || a.format !== b.format) return [change('text.changed', {})];
  return changedKeys(flatten(a.value), flatten(b.value), jsonEqual).map(({ key, change: how }) => change('key.changed', { key, change: how }));
}

/** Leaves of a nested value by dotted path (array items by index); a non-object root is the key ``. */
function flatten(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (isRecord(value) || Array.isArray(value)) {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    if (entries.length === 0) out[prefix] = value;
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = value;
  return out;
}
