import { describe, expect, it } from 'vitest';
import { change } from './change.js';
import type { GraphEdge } from '../store/graph-model.js';
import { DependencyGraph } from '../store/graph-queries.js';
import { assessImpact } from './impact.js';

const edge = (from: string, to: string, kind = 'depends_on'): GraphEdge => ({ from, to, kind, source: 'derived', sourcePath: null });
const graph = new DependencyGraph({
  nodes: [],
  edges: [edge('compose:app/web', 'compose:app/db'), edge('nginx:app.example.com', 'upstream:web', 'proxies_to'), edge('upstream:web', 'compose:app/web', 'resolves_to')],
});
const path = '/opt/stacks/app/compose.yaml';

describe('assessImpact', () => {
  it('raises the level by one when the service has downstream dependents, and says so', () => {
    const impact = assessImpact({ type: 'compose', path, changes: [change('env.changed', { key: 'X', change: 'modified' }, 'db')], graph });
    expect(impact.riskLevel).toBe('HIGH');
    expect(impact.downstreamServices).toEqual(['web', 'app.example.com']);
    expect(impact.reasons.map((r) => r.rule)).toEqual(['env-changed', 'downstream-dependents']);
    expect(impact.reasons[1]!.detail).toContain('MEDIUM raised to HIGH');
    expect(impact.recommendedActions).toEqual(['docker compose -f /opt/stacks/app/compose.yaml up -d db']);
  });

  it('caps the raise at CRITICAL and keeps LOW whitespace changes free of actions', () => {
    expect(assessImpact({ type: 'compose', path, changes: [change('privileged.enabled', {}, 'db')], graph }).riskLevel).toBe('CRITICAL');
    const low = assessImpact({ type: 'nginx', path: '/etc/nginx/nginx.conf', changes: [change('whitespace_or_comments.only')] });
    expect(low).toMatchObject({ riskLevel: 'LOW', requiresRestart: false, requiresReload: false, recommendedActions: [] });
  });

  it('gives exact, shell-quoted commands per config type', () => {
    const odd = "/opt/my stacks/it's/compose.yaml";
    expect(assessImpact({ type: 'compose', path: odd, changes: [change('service.removed', { service: 'x' }, 'x')] }).recommendedActions).toEqual([
      `docker compose -f '/opt/my stacks/it'\\''s/compose.yaml' up -d --remove-orphans`,
    ]);
    const unit = assessImpact({ type: 'systemd', path: '/etc/systemd/system/foo.service.d/override.conf', changes: [change('exec.changed', {}, 'foo.service')] });
    expect(unit.recommendedActions).toEqual(['systemctl daemon-reload && systemctl restart foo.service']);
    const site = assessImpact({ type: 'nginx', path: '/etc/nginx/sites-enabled/a', changes: [change('ssl.disabled', { server: 'a' }, 'a')], device: { name: 'd' } });
    expect(site).toMatchObject({ riskLevel: 'HIGH', requiresReload: true, recommendedActions: ['nginx -t', 'nginx -s reload'] });
    const swag = assessImpact({ type: 'nginx', path: '/x.conf', changes: [change('header.changed', {}, 'a')], device: { name: 'd', reloadCommand: 'docker exec swag nginx -s reload' } });
    expect(swag.recommendedActions).toEqual(['nginx -t', 'docker exec swag nginx -s reload']);
    const ssh = assessImpact({ type: 'sshd', path: '/etc/ssh/sshd_config', changes: [change('setting.changed', { key: 'passwordauthentication', from: 'no', to: 'yes' })] });
    expect(ssh).toMatchObject({ riskLevel: 'CRITICAL', recommendedActions: ['sshd -t', 'systemctl reload ssh'] });
    const broken = assessImpact({ type: 'nginx', path: '/x.conf', changes: [change('parse.failed', { message: 'x' })] });
    expect(broken).toMatchObject({ riskLevel: 'HIGH', requiresReload: false, recommendedActions: ['nginx -t'] });
  });
});
