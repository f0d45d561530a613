import type { MergeTag } from './compose-yaml.js';
import { keyValues, text } from './normalise-service.js';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Keys written as a `KEY=value` list or a map: merged key by key. */
const KEY_VALUE_KEYS = new Set(['environment', 'labels', 'annotations', 'sysctls', 'extra_hosts']);
/** Sequences the extending service replaces rather than appends to. */
const REPLACED_SEQUENCES = new Set(['command', 'entrypoint', 'test']);
/** Sequences whose entries are unique by mount target. */
const MOUNT_KEYS = new Set(['volumes', 'devices', 'tmpfs']);

const mountTarget = (entry: unknown): string =>
  isRecord(entry) ? text(entry.target ?? '') : text(entry).split(':')[1] ?? text(entry);

function mergeValue(key: string, base: unknown, local: unknown): unknown {
  if (base === undefined) return local;
  if (KEY_VALUE_KEYS.has(key)) return { ...keyValues(base), ...keyValues(local) };
  if (key === 'depends_on') return { ...dependsOnMap(base), ...dependsOnMap(local) };
  if (isRecord(base) && isRecord(local)) {
    const out: Raw = { ...base };
    for (const [k, v] of Object.entries(local)) out[k] = mergeValue(k, base[k], v);
    return out;
  }
  if (Array.isArray(base) && Array.isArray(local) && !REPLACED_SEQUENCES.has(key)) {
    if (MOUNT_KEYS.has(key)) {
      const targets = new Set(local.map(mountTarget));
      return [...base.filter((entry) => !targets.has(mountTarget(entry))), ...local];
    }
    const seen = new Set(base.map((entry) => JSON.stringify(entry)));
    return [...base, ...local.filter((entry) => !seen.has(JSON.stringify(entry)))];
  }
  return local;
}

function dependsOnMap(value: unknown): Raw {
  if (isRecord(value)) return value;
  return Object.fromEntries((Array.isArray(value) ? value : []).map((name) => [text(name), { condition: 'service_started' }]));
}

/**
 * Merges a service over the one it `extends`, following the compose merge
 * rules: mappings merge recursively, most sequences append, `command` and
 * `entrypoint` replace. A key tagged `!override` replaces the inherited
 * value; a key tagged `!reset` removes it.
 */
export function mergeService(base: Raw, local: Raw, tags: ReadonlyMap<string, MergeTag>): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(local)) {
    if (key === 'extends') continue;
    out[key] = tags.get(key) === 'override' ? value : mergeValue(key, base[key], value);
  }
  for (const [key, tag] of tags) if (tag === 'reset') delete out[key];
  delete out.extends;
  return out;
}
