/**
 * Compliance of one device: the score per pack (passes out of passes and
 * failures), then every finding that is not a pass, most severe first, with
 * the offending file and line, its remediation and source; an approver can
 * waive a finding on its file for a reason. The score per pack over time is
 * a small inline SVG step chart (no chart library).
 */
import { useState } from 'react';
import { type ApiError, apiPost, withQuery } from '../api/client.js';
import type { ComplianceResult, ComplianceRuleInfo, ComplianceTrendPoint } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { DeviceCrumbs } from '../components/device-crumbs.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { Link, paths } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const PACKS = ['sshd', 'nginx', 'compose', 'systemd'];

const PACK_COLOURS: Record<string, string> = { sshd: '#1f6feb', nginx: '#1d7a3a', compose: '#b35900', systemd: '#8250df' };
const CHART = { width: 360, height: 120, pad: 24 };

/** Score per pack against time, as steps: a score holds until the next point. */
function TrendChart({ points }: { points: readonly ComplianceTrendPoint[] }) {
  const scored = points.filter((p) => p.score !== null);
  if (scored.length === 0) return <p className="muted small">No score history yet.</p>;
  const times = scored.map((p) => Date.parse(p.at));
  const [first, last] = [Math.min(...times), Math.max(Date.now(), ...times)];
  const x = (at: string) => CHART.pad + ((Date.parse(at) - first) / Math.max(1, last - first)) * (CHART.width - 2 * CHART.pad);
  const y = (score: number) => CHART.height - CHART.pad - (score / 100) * (CHART.height - 2 * CHART.pad);
  const packs = PACKS.filter((pack) => scored.some((p) => p.pack === pack));
  return (
    <figure className="stack">
      <svg className="trend-chart" data-testid="compliance-trend" viewBox={`0 0 ${CHART.width} ${CHART.height}`} role="img" aria-label="Score per pack over time">
        {[0, 50, 100].map((level) => (
          <g key={level}>
            <line x1={CHART.pad} x2={CHART.width - CHART.pad} y1={y(level)} y2={y(level)} stroke="currentColor" strokeOpacity={0.15} />
            <text x={2} y={y(level) + 4} fontSize={9} fill="currentColor">
              {level}
            </text>
          </g>
        ))}
        {packs.map((pack) => {
          const own = scored.filter((p) => p.pack === pack);
          const steps = own.flatMap((p, i) => {
            const next = own[i + 1];
            const end = next ? x(next.at) : CHART.width - CHART.pad;
            return [`${x(p.at)},${y(p.score as number)}`, `${end},${y(p.score as number)}`];
          });
          return (
            <polyline key={pack} className="trend-line" data-pack={pack} points={steps.join(' ')} stroke={PACK_COLOURS[pack]}>
              <title>{`${pack}: ${own.map((p) => `${p.score}% at ${p.at}`).join(', ')}`}</title>
            </polyline>
          );
        })}
      </svg>
      <figcaption className="small">
        {packs.map((pack) => (
          <span key={pack} style={{ color: PACK_COLOURS[pack] }}>
            ■ {pack}{' '}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

const score = (results: readonly ComplianceResult[]): string => {
  const pass = results.filter((r) => r.status === 'pass').length;
  const fail = results.filter((r) => r.status === 'fail').length;
  return pass + fail === 0 ? '–' : `${Math.round((100 * pass) / (pass + fail))}%`;
};

export function CompliancePage({ device }: { device: string }) {
  const session = useSession();
  const results = useApi<{ results: ComplianceResult[] }>(withQuery('/api/compliance', { device }));
  const rules = useApi<{ rules: ComplianceRuleInfo[] }>('/api/compliance/rules');
  const trend = useApi<{ trend: ComplianceTrendPoint[] }>(withQuery('/api/compliance/trend', { device }));
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  useLiveEvent((event) => {
    if (event.device !== device || !event.type.startsWith('compliance.')) return;
    results.reload();
    trend.reload();
  });

  const waive = async (r: ComplianceResult) => {
    const reason = window.prompt(`Why is ${r.rule} accepted on ${r.path}?`);
    if (!reason) return;
    try {
      await apiPost('/api/compliance/waivers', { rule: r.rule, device, path: r.path, reason });
      setMessage({ text: `${r.rule} waived on ${r.path}`, error: false });
      results.reload();
      trend.reload();
    } catch (error) {
      setMessage({ text: `${r.rule}: ${(error as ApiError).message}`, error: true });
    }
  };

  const byId = new Map((rules.data?.rules ?? []).map((r) => [r.id, r]));
  const all = results.data?.results ?? [];
  const findings = all
    .filter((r) => r.status !== 'pass')
    .sort((a, b) => (SEVERITY_RANK[byId.get(a.rule)?.severity ?? 'low'] ?? 3) - (SEVERITY_RANK[byId.get(b.rule)?.severity ?? 'low'] ?? 3) || a.path.localeCompare(b.path));
  return (
    <div className="stack">
      <DeviceCrumbs device={device} current="compliance" />
      <section className="panel" aria-labelledby="compliance-title">
        <h1 id="compliance-title">Compliance on {device}</h1>
        {message ? (
          <p className={message.error ? 'error' : 'notice'} role="status">
            {message.text}
          </p>
        ) : null}
        {results.error ? <p className="error">{results.error.message}</p> : null}
        <p data-testid="compliance-scores">
          <strong>{score(all)}</strong> overall
          {PACKS.map((pack) => {
            const own = all.filter((r) => byId.get(r.rule)?.configType === pack);
            return own.length === 0 ? null : (
              <span key={pack} className="muted">
                {' '}
                · {pack} {score(own)}
              </span>
            );
          })}
        </p>
        {trend.data ? <TrendChart points={trend.data.trend} /> : null}
        {results.data && findings.length === 0 ? <p className="notice">No findings: every rule passes.</p> : null}
        <ul className="drift-list">
          {findings.map((r) => {
            const rule = byId.get(r.rule);
            return (
              <li key={`${r.path}\0${r.rule}`} className="drift-item" data-testid="compliance-finding">
                <div>
                  <Badge value={r.status} /> <strong>{rule?.severity ?? ''}</strong> <code>{r.rule}</code> {rule?.title}
                  <div>
                    <Link href={paths.file(device, r.path, r.line)}>{r.line ? `${r.path}:${r.line}` : r.path}</Link>
                  </div>
                  {r.message ? <div className="small">{r.message}</div> : null}
                  {rule ? <div className="muted small">{rule.remediation}</div> : null}
                  {rule?.source.url ? (
                    <a className="small" href={rule.source.url} rel="noreferrer noopener" target="_blank">
                      {rule.source.ref}
                    </a>
                  ) : (
                    <span className="small muted">{rule?.source.ref}</span>
                  )}
                </div>
                {session.can('config:approve') && r.status === 'fail' ? (
                  <div className="actions">
                    <button type="button" onClick={() => waive(r)}>
                      Waive
                    </button>
                  </div>
                ) : null}
              </li>
            );
          })}
        </ul>
      </section>
    </div>
  );
}
