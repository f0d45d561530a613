/** What a version's change means: risk, reasons, affected and downstream services, what to run. */
import type { Impact, ImpactView } from '../api/types.js';
import { RiskBadge } from './badge.js';

const isImpact = (value: unknown): value is Impact =>
  typeof value === 'object' && value !== null && Array.isArray((value as Impact).reasons) && Array.isArray((value as Impact).affectedServices);

function Names({ title, names }: { title: string; names: readonly string[] }) {
  return (
    <div>
      <h4>{title}</h4>
      {names.length === 0 ? <p className="muted">none</p> : <ul className="chips">{names.map((n) => <li key={n}>{n}</li>)}</ul>}
    </div>
  );
}

export function ImpactPanel({ view }: { view: ImpactView }) {
  if (!isImpact(view.impact)) return <p className="muted">No impact assessment stored for this version.</p>;
  const impact = view.impact;
  return (
    <div className="impact" data-testid="impact">
      <p>
        <RiskBadge risk={view.risk ?? impact.riskLevel} />
        {impact.requiresRestart ? <span className="badge badge-warn">needs restart</span> : null}
        {impact.requiresReload ? <span className="badge badge-info">needs reload</span> : null}
      </p>
      <h4>Reasons</h4>
      {impact.reasons.length === 0 ? (
        <p className="muted">none</p>
      ) : (
        <ul>
          {impact.reasons.map((r) => (
            <li key={`${r.rule}:${r.detail}`}>
              <code>{r.rule}</code> {r.detail}
            </li>
          ))}
        </ul>
      )}
      <div className="two-columns">
        <Names title="Affected services" names={impact.affectedServices} />
        <Names title="Downstream services" names={impact.downstreamServices} />
      </div>
      <h4>Recommended commands</h4>
      {impact.recommendedActions.length === 0 ? (
        <p className="muted">none</p>
      ) : (
        <pre className="commands">{impact.recommendedActions.join('\n')}</pre>
      )}
    </div>
  );
}
