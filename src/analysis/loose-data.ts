/**
 * Narrowing helpers for parsed data read defensively: analysis works on the
 * stored JSON of any parser version, so it checks shapes instead of trusting
 * a static type.
 */
export type Loose = Readonly<Record<string, unknown>>;

export const isRecord = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

export const asRecord = (v: unknown): Loose => (isRecord(v) ? v : {});

export const asArray = (v: unknown): readonly unknown[] => (Array.isArray(v) ? v : []);

/** Strings and numbers as text; anything else undefined. */
export const asText = (v: unknown): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;

export const asStrings = (v: unknown): string[] => asArray(v).flatMap((x) => asText(x) ?? []);

/** Deep structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return false;
    return keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
  }
  return false;
}
