/**
 * Property: whatever variables a caller sends, a render through the worker
 * pool either yields at most 1 MiB of output that holds nothing of a
 * prototype, or fails with one of the template error codes — never another
 * exception, never a hang. Runs over the built-ins (their schemas refuse
 * most random input) and over user templates without a schema, which take
 * anything.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { ConfwatchError } from '../../src/errors.js';
import { TemplateService } from '../../src/services/template.service.js';
import { createMasterKeyFile } from '../../src/store/keyring.js';
import type { KyselyStore } from '../../src/store/kysely.store.js';
import { openStore } from '../../src/store/open-store.js';
import { TemplateRepository } from '../../src/store/templates.repository.js';
import { MAX_OUTPUT_CHARS } from '../../src/templates/liquid-sandbox.js';

const TYPED = new Set(['CW_ERR_TEMPLATE_VARS', 'CW_ERR_TEMPLATE_RENDER', 'CW_ERR_TEMPLATE_LIMIT']);

const USER_TEMPLATES: Record<string, string> = {
  echo: '{{ v }}{{ v }}{{ v }}{{ v }}',
  walk: '{% for pair in v %}{{ pair[0] }}={{ pair[1] }};{% endfor %}{% for item in w %}{{ item }}{% endfor %}',
  filters: '{{ v | json }} {{ v | size }} {{ v | split: "," | join: w | upcase }}',
  date: '{{ "2026-01-01" | date: v }}',
  index: '{{ v[w] }}',
};

/** Values a hostile caller would try: Liquid source, prototype names, big strings, deep JSON. */
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom('{{ v.constructor }}', '{% include "/etc/passwd" %}', '__proto__', 'constructor', 'valueOf', '%100000000Y', '%-999999999d', '{% for i in (1..999999999) %}{% endfor %}'),
  fc.string({ maxLength: 64 }),
  fc.nat({ max: 400_000 }).map((n) => 'x'.repeat(n)),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 2000 }),
);
const others = fc.dictionary(fc.constantFrom('name', 'upstream_app', 'upstream_port', 'auth', 'service', 'image', 'description', 'exec_start', 'ports', 'environment'), value, { maxKeys: 6 });
/** `v` and `w` always present, so the user templates render often rather than stop at an undefined variable. */
const variables = fc.tuple(value, value, others).map(([v, w, rest]) => ({ ...rest, v, w }));

describe('template renders under random variables', () => {
  let home: string;
  let store: KyselyStore;
  let pool: AnalysisPool;
  let templates: TemplateService;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'cw-tpl-prop-'));
    createMasterKeyFile(home);
    store = await openStore({ home, env: {} });
    pool = new AnalysisPool({ size: 1 });
    templates = new TemplateService({ repository: new TemplateRepository(store), pool, timeMs: 3_000 });
    for (const [name, body] of Object.entries(USER_TEMPLATES)) await templates.add(name, { type: 'generic', body }, null);
  });
  afterAll(async () => {
    await pool.close();
    await store.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('never escapes the cap or the typed errors', async () => {
    const names = [...Object.keys(USER_TEMPLATES), 'swag-subdomain', 'compose-service', 'systemd-hardened'];
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...names), variables, async (name, vars) => {
        let outcome: string;
        try {
          const result = await templates.render(name, { variables: vars });
          expect(result.content.length).toBeLessThanOrEqual(MAX_OUTPUT_CHARS);
          expect(result.content).not.toMatch(/\[native code\]|function \w*\(/);
          outcome = 'rendered';
        } catch (error) {
          expect(error).toBeInstanceOf(ConfwatchError);
          expect(TYPED, `${(error as ConfwatchError).code}: ${(error as Error).message}`).toContain((error as ConfwatchError).code);
          outcome = (error as ConfwatchError).code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }),
      { numRuns: 150 },
    );
    // the run exercised both sides of the property
    expect(outcomes.get('rendered') ?? 0).toBeGreaterThan(30);
    expect([...outcomes.keys()].some((k) => k.startsWith('CW_ERR_'))).toBe(true);
    console.log(Object.fromEntries(outcomes));
  }, 120_000);
});
