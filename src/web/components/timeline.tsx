/**
 * A file's versions on a time axis (SVG, oldest left) and as a list, newest
 * first, where the user picks the two versions to compare: A (older side)
 * and B (newer side).
 */
import type { Version } from '../api/types.js';
import { formatTime, shortHash } from '../lib/format.js';
import { Badge, RiskBadge } from './badge.js';

export interface TimelineProps {
  readonly versions: readonly Version[];
  readonly from: string | null;
  readonly to: string | null;
  readonly onPick: (side: 'from' | 'to', id: string) => void;
}

const AXIS_WIDTH = 600;
const AXIS_PAD = 12;

function TimeAxis({ versions, from, to }: Omit<TimelineProps, 'onPick'>) {
  const times = versions.map((v) => Date.parse(v.detectedAt));
  const min = Math.min(...times);
  const span = Math.max(1, Math.max(...times) - min);
  const xOf = (t: number) => AXIS_PAD + ((t - min) / span) * (AXIS_WIDTH - 2 * AXIS_PAD);
  return (
    <svg className="time-axis" viewBox={`0 0 ${AXIS_WIDTH} 40`} role="img" aria-label={`${versions.length} versions from ${formatTime(new Date(min).toISOString())}`}>
      <line x1={AXIS_PAD} x2={AXIS_WIDTH - AXIS_PAD} y1={20} y2={20} className="axis-line" />
      {versions.map((v, i) => (
        <circle
          key={v.id}
          cx={xOf(times[i] as number)}
          cy={20}
          r={v.id === from || v.id === to ? 7 : 5}
          className={`axis-dot change-${v.changeType} ${v.id === from ? 'picked-from' : ''} ${v.id === to ? 'picked-to' : ''}`}
        >
          <title>
            {formatTime(v.detectedAt)} {v.changeType}
          </title>
        </circle>
      ))}
      <text x={AXIS_PAD} y={38} className="axis-label">
        {formatTime(new Date(min).toISOString())}
      </text>
      <text x={AXIS_WIDTH - AXIS_PAD} y={38} textAnchor="end" className="axis-label">
        {formatTime(new Date(min + span).toISOString())}
      </text>
    </svg>
  );
}

export function Timeline({ versions, from, to, onPick }: TimelineProps) {
  if (versions.length === 0) return <p className="muted">No versions stored yet.</p>;
  return (
    <div className="timeline">
      <TimeAxis versions={versions} from={from} to={to} />
      <ol className="versions" aria-label="Versions, newest first">
        {versions.map((v) => (
          <li key={v.id} className={`version ${v.id === from || v.id === to ? 'version-picked' : ''}`} data-testid="version">
            <div className="version-main">
              <time dateTime={v.detectedAt}>{formatTime(v.detectedAt)}</time>
              <Badge value={v.changeType} />
              <span className="muted">via {v.source}</span>
              {v.actor ? <span>by {v.actor}</span> : null}
              <RiskBadge risk={v.risk} />
              <code className="muted">{shortHash(v.contentHash)}</code>
            </div>
            <div className="version-pick">
              <label>
                <input type="radio" name="diff-from" checked={v.id === from} onChange={() => onPick('from', v.id)} /> A
                <span className="sr-only"> (compare from {formatTime(v.detectedAt)})</span>
              </label>
              <label>
                <input type="radio" name="diff-to" checked={v.id === to} onChange={() => onPick('to', v.id)} /> B
                <span className="sr-only"> (compare to {formatTime(v.detectedAt)})</span>
              </label>
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
