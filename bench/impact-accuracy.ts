/**
 * `npm run bench -- impact-accuracy`: runs the engine over the labelled
 * impact set (test/fixtures/impact/) and prints the confusion matrix of risk
 * levels (expected → got), the agreement on the deciding rule and on
 * reload/restart, and every case that disagrees.
 */
import { RISK_LEVELS, type RiskLevel } from '../src/analysis/risk-level.js';
import { CASES } from '../test/fixtures/impact/cases.js';
import { evaluate } from '../test/fixtures/impact/evaluate.js';

export async function run(): Promise<object> {
  const matrix = Object.fromEntries(RISK_LEVELS.map((e) => [e, Object.fromEntries(RISK_LEVELS.map((g) => [g, 0]))])) as Record<
    RiskLevel,
    Record<RiskLevel, number>
  >;
  const byType: Record<string, { cases: number; levelCorrect: number }> = {};
  let level = 0;
  let rule = 0;
  let activation = 0;
  const mismatches: object[] = [];
  const started = performance.now();
  for (const c of CASES) {
    const { got } = evaluate(c);
    const e = c.expect;
    matrix[e.riskLevel][got.riskLevel]++;
    byType[c.type] ??= { cases: 0, levelCorrect: 0 };
    const t = byType[c.type]!;
    t.cases++;
    if (got.riskLevel === e.riskLevel) {
      level++;
      t.levelCorrect++;
    }
    if (got.rule === e.rule) rule++;
    if (got.reload === e.reload && got.restart === e.restart) activation++;
    if (got.riskLevel !== e.riskLevel || got.rule !== e.rule || got.reload !== e.reload || got.restart !== e.restart) {
      mismatches.push({ id: c.id, expected: e, got });
    }
  }
  const ms = performance.now() - started;
  const share = (n: number) => Number((n / CASES.length).toFixed(4));
  return {
    parameters: { cases: CASES.length, levels: RISK_LEVELS },
    confusionMatrix: { rows: 'expected', columns: 'got', matrix },
    expectedPerLevel: Object.fromEntries(RISK_LEVELS.map((l) => [l, CASES.filter((c) => c.expect.riskLevel === l).length])),
    byType,
    accuracy: { riskLevel: share(level), rule: share(rule), reloadRestart: share(activation) },
    mismatches,
    msTotal: Number(ms.toFixed(1)),
  };
}
