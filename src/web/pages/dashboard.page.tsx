/** Dashboard: every device with its watch mode, last change and problem counts, beside the live feed. */
import type { ChangeSet, Device, TrackedFile } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { LiveFeed } from '../components/live-feed.js';
import { useLive, useLiveEvent } from '../lib/event-stream.js';
import { countFiles } from '../lib/file-counts.js';
import { formatAgo } from '../lib/format.js';
import { Link, paths } from '../lib/router.js';

const REFRESHING_EVENTS = new Set(['config.changed', 'config.drift.detected', 'config.drift.resolved', 'validation.failed', 'analysis.skipped', 'writeback.applied']);

function Count({ value, label, tone }: { value: number; label: string; tone: string }) {
  return (
    <span className={`count ${value > 0 ? `count-${tone}` : ''}`}>
      <strong>{value}</strong> {label}
    </span>
  );
}

export function DashboardPage() {
  const devices = useApi<{ devices: Device[] }>('/api/devices');
  const files = useApi<{ files: TrackedFile[] }>('/api/files');
  const changeSets = useApi<{ changeSets: ChangeSet[] }>('/api/change-sets?limit=200');
  const { modes, lastChange } = useLive();
  useLiveEvent((event) => {
    if (REFRESHING_EVENTS.has(event.type)) files.reload();
    if (event.type === 'config.changeset') changeSets.reload();
  });

  const counts = countFiles(files.data?.files ?? []);
  const lastChangeOf = (device: string): string | undefined => {
    const fromSets = changeSets.data?.changeSets.find((c) => c.device === device);
    const fromRegistry = devices.data?.devices.find((d) => d.name === device)?.live?.lastChangeAt ?? undefined;
    const candidates = [lastChange.get(device), fromRegistry, fromSets?.closedAt ?? fromSets?.openedAt].filter((t): t is string => t !== undefined);
    return candidates.sort().at(-1);
  };

  return (
    <div className="dashboard">
      <section className="panel" aria-labelledby="devices-title">
        <h1 id="devices-title">Devices</h1>
        {devices.error ? <p className="error">{devices.error.message}</p> : null}
        {devices.data?.devices.length === 0 ? <p className="muted">No devices yet. Add one with `confwatch device add`.</p> : null}
        <ul className="device-list">
          {devices.data?.devices.map((device) => {
            // the stream's newest mode, else what the server's registry holds (a page opened after the event still knows)
            const live =
              modes.get(device.name) ??
              (device.live?.watchMode ? { mode: device.live.watchMode, reason: device.live.watchModeReason ?? undefined, at: device.live.watchModeSince ?? undefined } : undefined);
            const c = counts.get(device.name) ?? { total: 0, drifted: 0, invalid: 0, unreachable: 0 };
            return (
              <li key={device.name} className="device-card" data-testid="device-card">
                <div className="device-head">
                  <Link href={paths.device(device.name)} className="device-name">
                    {device.name}
                  </Link>
                  <span className="muted">
                    {device.transport === 'local' ? 'local' : `${device.user}@${device.host}:${device.port}`}
                  </span>
                </div>
                <div className="device-mode">
                  {live ? <Badge value={live.mode} /> : <Badge value="unknown" label={`${device.mode} (not connected)`} />}
                  {live?.reason ? <span className="muted"> {live.reason}</span> : null}
                </div>
                <div className="device-counts">
                  <span className="count">
                    <strong>{c.total}</strong> files
                  </span>
                  <Count value={c.drifted} label="drifted" tone="warn" />
                  <Count value={c.invalid} label="invalid" tone="bad" />
                  <Count value={c.unreachable} label="unreachable" tone="bad" />
                </div>
                <div className="muted">Last change: {formatAgo(lastChangeOf(device.name))}</div>
              </li>
            );
          })}
        </ul>
      </section>
      <LiveFeed />
    </div>
  );
}
