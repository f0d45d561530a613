/** Coloured status pills. The colour class comes from the value, so each status looks the same everywhere. */

const TONE: Record<string, string> = {
  synced: 'ok',
  valid: 'ok',
  realtime: 'ok',
  low: 'ok',
  drifted: 'warn',
  missing: 'warn',
  polling: 'info',
  pending: 'muted',
  skipped: 'muted',
  unknown: 'muted',
  unavailable: 'muted',
  medium: 'warn',
  degraded: 'bad',
  invalid: 'bad',
  unreadable: 'bad',
  error: 'bad',
  high: 'bad',
  critical: 'bad',
  approved: 'ok',
  applied: 'ok',
  rejected: 'bad',
  conflict: 'bad',
  failed: 'bad',
  expired: 'muted',
  cancelled: 'muted',
};

export function Badge({ value, label }: { value: string; label?: string }) {
  return <span className={`badge badge-${TONE[value.toLowerCase()] ?? 'muted'}`}>{label ?? value}</span>;
}

/** The risk of a version; "no risk" reads as a muted dash. */
export function RiskBadge({ risk }: { risk: string | null }) {
  return risk ? <Badge value={risk} label={`risk: ${risk}`} /> : <span className="badge badge-muted">risk: —</span>;
}
