import { describe, expect, it } from 'vitest';
import { type Alert, makeAlert } from './alert.js';
import { makeRule, parseQuietHours, quietUntil, routeAlert } from './policy.js';

const alert = (riskLevel: Alert['riskLevel']): Alert =>
  makeAlert({ event: 'config.changeset', device: 'web1', path: '/etc/nginx/nginx.conf', riskLevel, title: 't', incidentKey: 'k', at: '2026-12-02T10:00:00.000Z' });

const channels = [
  { name: 'mail', kind: 'email' as const, minRisk: null },
  { name: 'hook', kind: 'json' as const, minRisk: null },
  { name: 'slack', kind: 'slack' as const, minRisk: null },
  { name: 'pd', kind: 'pagerduty' as const, minRisk: null },
];

describe('alert policy', () => {
  it('default policy: LOW none, MEDIUM email + webhook, HIGH + Slack, CRITICAL + PagerDuty', () => {
    const to = (risk: Alert['riskLevel']) => routeAlert(alert(risk), [], [], channels).map((r) => r.channel);
    expect(to('LOW')).toEqual([]);
    expect(to('MEDIUM')).toEqual(['mail', 'hook']);
    expect(to('HIGH')).toEqual(['mail', 'hook', 'slack']);
    expect(to('CRITICAL')).toEqual(['mail', 'hook', 'slack', 'pd']);
    expect(routeAlert(alert('LOW'), [], [], [{ name: 'all', kind: 'ntfy', minRisk: 'LOW' }]).map((r) => r.channel)).toEqual(['all']);
  });

  it('rules replace the default policy and match every criterion given', () => {
    const rule = makeRule({ name: 'r', channels: ['pd'], minRisk: 'high', tags: ['edge'], paths: ['/etc/nginx/**'] });
    expect(routeAlert(alert('HIGH'), ['edge'], [rule], channels)).toEqual([{ channel: 'pd', rule }]);
    expect(routeAlert(alert('HIGH'), ['core'], [rule], channels)).toEqual([]);
    expect(routeAlert(alert('MEDIUM'), ['edge'], [rule], channels)).toEqual([]);
  });

  it('quiet hours wrap midnight, in local time', () => {
    const quiet = parseQuietHours('22:00-07:00');
    expect(quietUntil(quiet, new Date(2026, 0, 1, 21, 59))).toBeNull();
    expect(quietUntil(quiet, new Date(2026, 0, 1, 23, 0))).toEqual(new Date(2026, 0, 2, 7, 0));
    expect(quietUntil(quiet, new Date(2026, 0, 2, 3, 0))).toEqual(new Date(2026, 0, 2, 7, 0));
    expect(quietUntil(quiet, new Date(2026, 0, 2, 7, 0))).toBeNull();
    for (const bad of ['25:00-07:00', '22:00', '07:00-07:00', 'x-y']) expect(() => parseQuietHours(bad), bad).toThrow(/--quiet/);
    expect(() => makeRule({ name: 'r', channels: ['a'], events: ['config.nothing'] })).toThrow(/raises no alert/);
  });
});
