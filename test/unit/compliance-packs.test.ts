/**
 * The built-in packs against the fixtures in test/fixtures/compliance/:
 * every fixture gives exactly the failures expected.json lists (and no
 * errors), and every rule has at least one passing and one failing fixture.
 */
import { describe, expect, it } from 'vitest';
import { compileExpression, evaluateFile } from '../../src/compliance/evaluator.js';
import { BUILTIN_RULES } from '../../src/compliance/packs/index.js';
import { RULE_CONFIG_TYPES, RULE_ID } from '../../src/compliance/rule.js';
import { expectedOutcomes, loadFixture } from '../helpers/compliance-fixtures.js';

const expected = expectedOutcomes();
const outcomes = Object.fromEntries(
  Object.keys(expected).map((name) => {
    const fixture = loadFixture(name);
    return [name, evaluateFile(BUILTIN_RULES, fixture.type, fixture.path, fixture.parsed)];
  }),
);

describe('compliance packs', () => {
  it('has at least 15 rules per pack, unique namespaced ids and a source for each', () => {
    for (const type of RULE_CONFIG_TYPES) expect(BUILTIN_RULES.filter((r) => r.configType === type).length).toBeGreaterThanOrEqual(15);
    const ids = BUILTIN_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of BUILTIN_RULES) {
      expect(rule.id).toMatch(RULE_ID);
      expect(rule.id.startsWith(`${rule.configType}.`)).toBe(true);
      expect(rule.source.ref).not.toBe('');
      expect(rule.remediation).not.toBe('');
    }
  });

  it('compiles every rule within the bounds', () => {
    for (const rule of BUILTIN_RULES) {
      for (const expression of [rule.check, rule.when, rule.line]) {
        if (expression !== undefined) expect(typeof compileExpression(expression), `${rule.id}: ${expression}`).toBe('function');
      }
    }
  });

  it.each(Object.keys(expected))('%s fails exactly the expected rules', (name) => {
    const got = outcomes[name]!;
    expect(got.filter((o) => o.status === 'error')).toEqual([]);
    expect(got.filter((o) => o.status === 'fail').map((o) => o.rule).sort()).toEqual([...expected[name]!.fail].sort());
  });

  it('gives every rule a passing and a failing fixture', () => {
    const lacking: string[] = [];
    for (const rule of BUILTIN_RULES) {
      const statuses = Object.values(outcomes).flatMap((list) => list.filter((o) => o.rule === rule.id).map((o) => o.status));
      if (!statuses.includes('pass')) lacking.push(`${rule.id}: no passing fixture`);
      if (!statuses.includes('fail')) lacking.push(`${rule.id}: no failing fixture`);
    }
    expect(lacking).toEqual([]);
  });

  it('points at the offending line and says what it found', () => {
    const weak = outcomes['sshd/weak.sshd_config']!.find((o) => o.rule === 'sshd.permit-root-login');
    expect(weak).toEqual({ rule: 'sshd.permit-root-login', status: 'fail', message: 'PermitRootLogin is yes', line: 4 });
    const swag = outcomes['nginx/app-without-auth.subdomain.conf']!.find((o) => o.rule === 'nginx.swag-auth');
    expect(swag).toMatchObject({ status: 'fail', line: 7 });
  });

  it('judges sshd on the effective configuration: includes first, first value wins, Match blocks too', () => {
    // the drop-in read at the Include sets yes before the main file's no
    expect(outcomes['sshd/include-overrides.sshd_config']!.find((o) => o.rule === 'sshd.permit-root-login')).toMatchObject({ status: 'fail', message: 'PermitRootLogin is yes' });
    // global no, but a Match block allows root
    expect(outcomes['sshd/match-root.sshd_config']!.find((o) => o.rule === 'sshd.permit-root-login')).toMatchObject({ status: 'fail', message: 'PermitRootLogin is yes' });
    // a drop-in is judged through the file that includes it, never alone
    const dropIn = loadFixture('sshd/include-overrides.d/50-cloud.conf');
    expect(evaluateFile(BUILTIN_RULES, 'sshd', '/etc/ssh/sshd_config.d/50-cloud.conf', dropIn.parsed)).toEqual([]);
  });

  it('refuses expressions past the size and nesting bounds', () => {
    expect(compileExpression(`a.all(x, x.all(y, y.all(z, z)))`)).toMatchObject({ message: expect.stringContaining('nests 3 macros') });
    expect(compileExpression(Array.from({ length: 300 }, (_, i) => `a${i}`).join(' + '))).toMatchObject({ message: expect.stringContaining('nodes') });
    expect(compileExpression('a +')).toMatchObject({ column: expect.any(Number) });
  });
});
