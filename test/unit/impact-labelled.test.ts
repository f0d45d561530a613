/**
 * The labelled impact set (test/fixtures/impact/): every pair must get the
 * level, deciding rule and activation its label gives. A failure names the
 * case, what was expected and what the engine said, with its reasons.
 */
import { describe, expect, it } from 'vitest';
import { CASES } from '../fixtures/impact/cases.js';
import { evaluate } from '../fixtures/impact/evaluate.js';

describe('labelled impact set', () => {
  it('holds at least 80 pairs with unique ids, covering every config type', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    expect(new Set(CASES.map((c) => c.type))).toEqual(new Set(['nginx', 'compose', 'systemd', 'sshd', 'env']));
  });

  for (const c of CASES) {
    it(`${c.id}: ${c.expect.riskLevel} by ${c.expect.rule} (${c.why})`, () => {
      const { got, impact } = evaluate(c);
      expect({ ...got, reasons: impact.reasons.map((r) => `${r.level} ${r.rule}: ${r.detail}`) }).toEqual({ ...c.expect, reasons: expect.any(Array) });
      if (!got.reload && !got.restart && got.riskLevel === 'LOW') expect(impact.recommendedActions).toEqual([]);
    });
  }

  it('names the exposed hosts when authentication goes, and the app when its upstream moves', () => {
    const byId = (id: string) => evaluate(CASES.find((c) => c.id === id)!).impact;
    const removed = byId('swag-authelia-location-removed');
    expect(removed.reasons[0]!.detail).toContain('sonarr.*');
    expect(removed.affectedServices).toEqual(['sonarr.*']);
    expect(byId('swag-upstream-port').reasons[0]!.detail).toMatch(/sonarr .*8989.*8990/);
    const env = byId('env-timezone');
    expect(env.affectedServices).toEqual(['cloudflared', 'pihole']);
    expect(env.recommendedActions).toEqual(['docker compose -f /opt/stacks/pihole-cloudflared-DoH/compose.yaml up -d cloudflared pihole']);
  });
});
