/**
 * The compliance fixtures (test/fixtures/compliance/<type>/…): each file
 * parsed as its folder's type, with `@DIR@` standing for the fixture
 * folder so sshd includes resolve to files on disk (for `sshd -T` too).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import picomatch from 'picomatch';
import type { RuleConfigType } from '../../src/compliance/rule.js';
import { getParser } from '../../src/parsers/registry.js';

export const COMPLIANCE_FIXTURES = fileURLToPath(new URL('../fixtures/compliance/', import.meta.url));

export interface ComplianceFixture {
  /** `<type>/<file>`, as keyed in expected.json. */
  readonly name: string;
  readonly type: RuleConfigType;
  /** Where it is parsed as living (the fixture's own path). */
  readonly path: string;
  /** The text with `@DIR@` replaced. */
  readonly text: string;
  readonly parsed: unknown;
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

export function loadFixture(name: string): ComplianceFixture {
  const type = name.split('/')[0] as RuleConfigType;
  const dir = join(COMPLIANCE_FIXTURES, type);
  const path = join(COMPLIANCE_FIXTURES, name);
  const text = readFileSync(path, 'utf8').replaceAll('@DIR@', dir);
  const all = filesUnder(dir);
  const result = getParser(type).parse(Buffer.from(text), {
    path,
    readFile: (p) => (all.includes(p) ? readFileSync(p) : undefined),
    glob: (pattern) => {
      const matches = picomatch(pattern, { dot: true });
      return all.filter((p) => matches(p));
    },
  });
  return { name, type, path, text, parsed: result.data };
}

/** Every fixture named in expected.json: `{ "<type>/<file>": { "fail": [rule ids] } }`. */
export function expectedOutcomes(): Record<string, { fail: string[] }> {
  return JSON.parse(readFileSync(join(COMPLIANCE_FIXTURES, 'expected.json'), 'utf8')) as Record<string, { fail: string[] }>;
}
