/**
 * The template sandbox over the real API and a real worker pool: known
 * LiquidJS escapes (prototype and constructor reads, filter tricks, array
 * paths) end in CW_ERR_TEMPLATE_RENDER; include/render/layout are refused
 * when the template is added; DoS attempts (nested loops, 100 MB of
 * output, an empty loop over a huge range, date padding, a catastrophic
 * schema pattern) end in CW_ERR_TEMPLATE_LIMIT within the hard timeout,
 * while the server keeps answering /api/health over HTTP, during and
 * after. Scopes: a viewer renders, only config:edit adds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { templateRoutes } from '../../src/api/routes/templates.routes.js';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { TemplateService } from '../../src/services/template.service.js';
import { TemplateRepository } from '../../src/store/templates.repository.js';
import { type ApiFixture, openApiFixture } from '../api/app-fixture.js';

/** The hard budget of one render here (worker CPU time): short, so a test that needs it stays fast. */
const TIMEOUT_MS = 1_500;

describe('template sandbox', () => {
  let fx: ApiFixture;
  let pool: AnalysisPool;
  let base: string;

  beforeAll(async () => {
    pool = new AnalysisPool({ size: 1 });
    fx = await openApiFixture({}, ({ store }) => [
      templateRoutes(new TemplateService({ repository: new TemplateRepository(store), pool, timeMs: TIMEOUT_MS })),
    ]);
    await fx.app.listen({ host: '127.0.0.1', port: 0 });
    const address = fx.app.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await pool.close();
    await fx.close();
  });

  const add = (name: string, body: string, schema?: object) =>
    fx.app.inject({ method: 'POST', url: '/api/templates', headers: fx.as('operator'), payload: { name, type: 'generic', body, ...(schema ? { schema } : {}) } });
  const render = (name: string, variables: object = {}) => fx.app.inject({ method: 'POST', url: `/api/templates/${name}/render`, headers: fx.as('viewer'), payload: { variables } });

  /** Health over real HTTP while `work` runs: every answer's latency. */
  async function healthDuring<T>(work: Promise<T>): Promise<{ result: T; latencies: number[] }> {
    const latencies: number[] = [];
    let done = false;
    const probe = (async () => {
      while (!done) {
        const started = performance.now();
        const res = await fetch(`${base}/api/health`);
        expect(res.status).toBe(200);
        latencies.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const result = await work.finally(() => {
      done = true;
    });
    await probe;
    return { result, latencies };
  }

  it('lets a viewer render and only config:edit add', async () => {
    expect((await fx.app.inject({ method: 'POST', url: '/api/templates', headers: fx.as('viewer'), payload: { name: 'plain', type: 'generic', body: 'x' } })).statusCode).toBe(403);
    expect((await fx.app.inject({ method: 'POST', url: '/api/templates', payload: { name: 'plain', type: 'generic', body: 'x' } })).statusCode).toBe(401);
    expect((await add('plain', 'hello {{ who }}\n')).statusCode).toBe(201);
    const ok = await render('plain', { who: 'world' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ content: 'hello world\n', valid: true, errors: [], template: 'plain', version: 1 });
    expect((await fx.app.inject({ url: '/api/templates', headers: fx.as('viewer') })).json().templates.map((t: { name: string }) => t.name)).toContain('plain');
    expect((await fx.app.inject({ method: 'DELETE', url: '/api/templates/plain', headers: fx.as('viewer') })).statusCode).toBe(403);
  });

  it('refuses include, render and layout when the template is added', async () => {
    for (const tag of ['include', 'render', 'layout']) {
      const res = await add(`files-${tag}`, `{% ${tag} "/etc/shadow" %}`);
      expect(res.statusCode, tag).toBe(400);
      expect(res.json().error.code).toBe('CW_ERR_TEMPLATE_SYNTAX');
      expect(res.json().error.message).toContain(`{% ${tag} %} tag is not available`);
    }
    expect((await fx.app.inject({ url: '/api/templates/files-include', headers: fx.as('viewer') })).statusCode).toBe(404);
  });

  it('ends every known escape in a clear render error, never in a prototype', async () => {
    const escapes: [string, object][] = [
      ['{{ x.constructor }}', { x: {} }],
      ['{{ x.__proto__ }}', { x: {} }],
      ['{{ x.constructor.constructor }}', { x: 'text' }],
      ['{{ x["constructor"]["constructor"] }}', { x: {} }],
      ['{{ x.valueOf }}', { x: {} }],
      ['{{ x.toString }}', { x: [1] }],
      ['{{ x.first.constructor }}', { x: [{}] }],
      ['{{ x[0].__proto__ }}', { x: [{}] }],
      ['{{ x | where: "constructor" }}', { x: [{}] }],
      ['{{ "a" | append: x.hasOwnProperty }}', { x: {} }],
      ['{{ constructor }}', {}],
      ['{{ __proto__ }}', {}],
    ];
    for (const [i, [body, variables]] of escapes.entries()) {
      expect((await add(`escape-${i}`, body)).statusCode, body).toBe(201);
      const res = await render(`escape-${i}`, variables);
      expect(res.statusCode, body).toBe(422);
      expect(res.json().error.code, body).toBe('CW_ERR_TEMPLATE_RENDER');
      expect(res.json().error.message, body).toMatch(/undefined variable/);
    }
    // filters that read a property by name see only own properties: nothing of a prototype comes out
    for (const body of ['{{ x | map: "constructor" | join: "," }}', '{{ x | sort: "__proto__" | map: "valueOf" | join: "," }}']) {
      expect((await add('filter-trick', body)).statusCode).toBe(201);
      const res = await render('filter-trick', { x: [{}, {}] });
      expect(res.statusCode, body).toBe(200);
      expect(res.json().content, body).not.toMatch(/function|native code|Object/);
    }
    // a variable named after a prototype member is refused before any render (by the body parser, then by the service)
    const named = await fx.app.inject({ method: 'POST', url: '/api/templates/escape-0/render', headers: { ...fx.as('viewer'), 'content-type': 'application/json' }, payload: '{"variables":{"x":{"__proto__":{"polluted":1}}}}' });
    expect(named.statusCode).toBe(400);
    expect(['CW_ERR_USAGE', 'CW_ERR_TEMPLATE_VARS']).toContain(named.json().error.code);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stops DoS renders with a clear error within the hard timeout while the server answers', async () => {
    const attacks: [string, string, object?, object?][] = [
      ['nested-loops', '{% for a in (1..100000) %}{% for b in (1..100000) %}{% for c in (1..100000) %}x{% endfor %}{% endfor %}{% endfor %}'],
      ['output-100mb', '{% for i in (1..100000) %}{{ kb }}{% endfor %}', { kb: 'x'.repeat(1024) }],
      ['output-doubling', '{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}'],
      ['empty-loop-huge-range', '{% for i in (1..1000000000) %}{% endfor %}done'],
      // inside the allocation budget, but longer than the render limit between two checks: only the hard timeout ends it
      ['empty-loop-budgeted', '{% for i in (1..15000000) %}{% endfor %}done'],
      ['date-padding', '{{ "now" | date: "%100000000000Y" }}'],
      ['capture-huge', '{% capture c %}{% for i in (1..100000000) %}xxxxxxxxxx{% endfor %}{% endcapture %}{{ c | size }}'],
      ['tablerow', '{% tablerow i in (1..10000000) %}{% endtablerow %}'],
      ['liquid-tag-loop', '{%- liquid\n for i in (1..10000000)\n  for j in (1..10000000)\n  endfor\n endfor\n-%}x'],
      ['schema-redos', '{{ v }}', { v: `${'a'.repeat(40)}!` }, { type: 'object', properties: { v: { type: 'string', pattern: '^(a+)+$' } } }],
    ];
    let slowest = 0;
    const budgets = new Set<string>();
    for (const [name, body, variables, schema] of attacks) {
      expect((await add(name, body, schema)).statusCode, name).toBe(201);
      const started = performance.now();
      const { result, latencies } = await healthDuring(render(name, variables ?? {}));
      const took = performance.now() - started;
      slowest = Math.max(slowest, took);
      expect(result.statusCode, `${name}: ${result.body}`).toBe(422);
      expect(result.json().error.code, name).toBe('CW_ERR_TEMPLATE_LIMIT');
      expect(result.json().error.message, name).toMatch(/limit exceeded|larger than 1048576|over its time budget|over its memory budget|ran out of room/);
      if (/time budget/.test(result.json().error.message)) budgets.add(name);
      // a render ends within its budget: TIMEOUT_MS of the worker's CPU time, at most 5× that in wall time on a busy
      // machine (the pool's rule; the worker runs niced), plus starting a fresh worker after a terminated one
      expect(took, name).toBeLessThan(TIMEOUT_MS * 5 + 4_000);
      expect(Math.max(...latencies), `${name}: /api/health latency`).toBeLessThan(500);
    }
    // the cooperative limits do not see these two; the worker was terminated
    expect(budgets).toContain('empty-loop-budgeted');
    expect(budgets).toContain('schema-redos');
    // and the server renders normally afterwards, in a replaced worker
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    expect((await add('after', 'still {{ ok }}')).statusCode).toBe(201);
    expect((await render('after', { ok: 'here' })).json().content).toBe('still here');
    console.log(`slowest DoS render ${Math.round(slowest)} ms`);
  }, 120_000);
});
