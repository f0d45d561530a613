/**
 * Compliance of one device: the score per pack (passes out of passes and
 * failures), then every finding that is not a pass, most severe first, with
 * the offending file and line, its remediation and source; an approver can
 * waive a finding on its file for a reason.
 */
import { useState } from 'react';
import { type ApiError, apiPost, withQuery } from '../api/client.js';
import type { ComplianceResult, ComplianceRuleInfo } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { DeviceCrumbs } from '../components/device-crumbs.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { Link, paths } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const SEVERITY_RANK: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3 };
const PACKS = ['sshd', 'nginx', 'compose', 'systemd'];

const score = (results: readonly ComplianceResult[]): string => {
  const pass = results.filter((r) => r.status === 'pass').length;
  const fail = results.filter((r) => r.status === 'fail').length;
  return pass + fail === 0 ? '–' : `${Math.round((100 * pass) / (pass + fail))}%`;
};

export function CompliancePage({ device }: { device: string }) {
  const session = useSession();
  const results = useApi<{ results: ComplianceResult[] }>(withQuery('/api/compliance', { device }));
  const rules = useApi<{ rules: ComplianceRuleInfo[] }>('/api/compliance/rules');
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  useLiveEvent((event) => {
    if (event.device === device && event.type.startsWith('compliance.')) results.reload();
  });

  const waive = async (r: ComplianceResult) => {
    const reason = window.prompt(`Why is ${r.rule} accepted on ${r.path}?`);
    if (!reason) return;
    try {
      await apiPost('/api/compliance/waivers', { rule: r.rule, device, path: r.path, reason });
      setMessage({ text: `${r.rule} waived on ${r.path}`, error: false });
      results.reload();
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
        {results.data && findings.length === 0 ? <p className="notice">No findings: every rule passes.</p> : null}
        <ul className="drift-list">
          {findings.map((r) => {
            const rule = byId.get(r.rule);
            return (
              <li key={`${r.path}\0${r.rule}`} className="drift-item" data-testid="compliance-finding">
                <div>
                  <Badge value={r.status} /> <strong>{rule?.severity ?? ''}</strong> <code>{r.rule}</code> {rule?.title}
                  <div>
                    <Link href={paths.file(device, r.path)}>{r.line ? `${r.path}:${r.line}` : r.path}</Link>
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
