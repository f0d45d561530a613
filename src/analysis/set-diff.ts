/** Members only in `after` (added) and only in `before` (removed), in input order. */
export function setDiff(before: Iterable<string>, after: Iterable<string>): { added: string[]; removed: string[] } {
  const a = new Set(before);
  const b = new Set(after);
  return { added: [...b].filter((x) => !a.has(x)), removed: [...a].filter((x) => !b.has(x)) };
}

/** Keys of two records whose values differ (added, removed or modified), sorted. */
export function changedKeys<V>(
  before: Readonly<Record<string, V>>,
  after: Readonly<Record<string, V>>,
  equal: (x: V, y: V) => boolean = (x, y) => x === y,
): { key: string; change: 'added' | 'removed' | 'modified' }[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const out: { key: string; change: 'added' | 'removed' | 'modified' }[] = [];
  for (const key of keys) {
    const inBefore = Object.hasOwn(before, key);
    const inAfter = Object.hasOwn(after, key);
    if (!inBefore) out.push({ key, change: 'added' });
    else if (!inAfter) out.push({ key, change: 'removed' });
    else if (!equal(before[key]!, after[key]!)) out.push({ key, change: 'modified' });
  }
  return out;
}
