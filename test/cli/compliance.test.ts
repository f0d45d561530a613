/**
 * `confwatch compliance` as users run it (the built binary): run with the
 * JSON of SPEC §11.3, rules, custom rules (a bad file named by its line),
 * waivers, and the report as HTML and Markdown (JSON shares its model,
 * plus the score trend).
 * Few invocations: each starts a process and opens the store.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempHome } from '../helpers/cli.js';

describe('confwatch compliance', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'compliance-host');
  const sshd = join(root, 'ssh', 'sshd_config');
  const cli = (...args: string[]) => runCli(args, { env: t.env, timeoutMs: 60_000 });

  beforeAll(async () => {
    mkdirSync(join(root, 'ssh'), { recursive: true });
    mkdirSync(join(root, 'app'), { recursive: true });
    writeFileSync(sshd, '# bastion\nPermitRootLogin yes\nPasswordAuthentication no\n');
    writeFileSync(join(root, 'app', 'compose.yaml'), 'services:\n  web:\n    image: nginx:latest\n    ports: ["80:80"]\n');
    expect((await cli('init')).code).toBe(0);
    expect((await cli('device', 'add', 'box', '--local', '--watch', `${root}/**`)).code).toBe(0);
    expect((await cli('scan', 'box', '--json')).code).toBe(0);
  });
  afterAll(() => t.remove());

  it('runs the rules and prints the SPEC JSON', async () => {
    const run = await cli('compliance', 'run', '--device', 'box', '--json');
    expect(run.code).toBe(0);
    const body = run.json();
    expect(Object.keys(body).sort()).toEqual(['findings', 'summary']);
    expect(Object.keys(body.summary).sort()).toEqual(['error', 'fail', 'pass', 'waived']);
    expect(body.findings).toContainEqual({ rule: 'sshd.permit-root-login', severity: 'high', device: 'box', path: sshd, status: 'fail', message: 'PermitRootLogin is yes', line: 2 });
    expect(body.findings).toContainEqual(expect.objectContaining({ rule: 'compose.image-tag', status: 'fail', message: 'service web uses nginx:latest' }));
    for (const f of body.findings) expect(Object.keys(f).sort()).toEqual(['device', 'line', 'message', 'path', 'rule', 'severity', 'status']);
  });

  it('lists the rules with id, title, severity, config type and source', async () => {
    const rules = (await cli('compliance', 'rules', '--json')).json();
    expect(rules.length).toBeGreaterThanOrEqual(60);
    expect(rules.find((r: { id: string }) => r.id === 'nginx.swag-auth')).toMatchObject({ title: expect.any(String), severity: 'high', configType: 'nginx', source: { ref: expect.any(String) } });
  });

  it('adds a custom rule after validating it, names the line of a problem, and removes it', async () => {
    const bad = join(t.home, 'bad.yaml');
    writeFileSync(bad, "id: sshd.banner-set\ntitle: A banner is shown\nseverity: urgent\nconfigType: sshd\ncheck: sshd.banner != 'none'\nremediation: Set Banner.\nsource: site policy 4.2\n");
    const refused = await cli('compliance', 'rule', 'add', bad);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`${bad}:3: severity must be one of low, medium, high, critical`);
    writeFileSync(bad, readFileSync(bad, 'utf8').replace('urgent', 'low'));
    expect((await cli('compliance', 'rule', 'add', bad, '--json')).json()).toEqual({ added: ['sshd.banner-set'] });
    expect((await cli('compliance', 'rule', 'remove', 'sshd.banner-set')).code).toBe(0);
  });

  it('waives a rule on the device and reports it', async () => {
    const waived = await cli('compliance', 'waive', 'sshd.permit-root-login', '--device', 'box', '--reason', 'jump host', '--expires', '2999-01-01T00:00:00Z', '--json');
    expect(waived.code).toBe(0);
    expect(waived.json()).toMatchObject({ rule: 'sshd.permit-root-login', device: 'box', path: null, reason: 'jump host', expiresAt: '2999-01-01T00:00:00.000Z' });

    const html = join(t.home, 'report.html');
    expect((await cli('compliance', 'report', '--format', 'html', '--out', html)).code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<table>');
    expect(page).toMatch(/<tr class="waived">.*sshd\.permit-root-login/);
    expect(page).toContain('box');
    expect(page).toContain('Pin the image to a version tag or a digest.');
    expect(page).toContain('href="https://github.com/CISOfy/lynis/blob/master/include/tests_ssh"');
    expect(page).not.toMatch(/<script|<link|src=/);
    const markdown = await cli('compliance', 'report', '--format', 'markdown');
    expect(markdown.stdout).toMatch(/^# Compliance report/);
    expect(markdown.stdout).toContain('| box |');

    // the JSON report carries the score trend: the run, then the waiver that moved sshd
    const json = (await cli('compliance', 'report', '--format', 'json', '--device', 'box')).json();
    const sshdTrend = json.trend.filter((p: { pack: string }) => p.pack === 'sshd');
    expect(sshdTrend.length).toBeGreaterThanOrEqual(2);
    expect(sshdTrend.at(-1)).toMatchObject({ device: 'box', waived: 1, fail: sshdTrend.at(-2).fail - 1 });
  });
});
