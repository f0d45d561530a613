import { applyPatch } from 'diff';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from './unified-diff.js';

const lines = (prefix: string, count: number) => `${Array.from({ length: count }, (_, i) => `${prefix} ${i}`).join('\n')}\n`;

describe('unifiedDiff', () => {
  it('gives a patch that turns the live bytes into the target', () => {
    const live = Buffer.from(lines('line', 50));
    const target = Buffer.from(lines('line', 50).replace('line 7\n', 'changed 7\n'));
    const patch = unifiedDiff('/etc/app.conf', live, target);
    expect(applyPatch(live.toString(), patch)).toBe(target.toString());
  });

  it('says the diff is too large instead of diffing two unrelated large versions', () => {
    // 8k unrelated lines on each side: unbounded, this is seconds of Myers' algorithm
    const patch = unifiedDiff('/etc/big.conf', Buffer.from(lines('old', 8_000)), Buffer.from(lines('new', 8_000)));
    expect(patch).toMatch(/^diff too large for \/etc\/big\.conf: more than 2000 lines differ/);
  });

  it('notes binary content rather than diffing it', () => {
    expect(unifiedDiff('/etc/bin', Buffer.from([0, 1]), Buffer.from([0, 2]))).toBe('Binary file /etc/bin differs\n');
  });
});
