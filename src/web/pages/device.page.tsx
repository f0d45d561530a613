/** One device: its tracked files with sync and validation status, filterable. */
import { useState } from 'react';
import { withQuery } from '../api/client.js';
import type { Device, TrackedFile } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { LiveFeed } from '../components/live-feed.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { type FileFilter, filterFiles } from '../lib/file-filter.js';
import { formatAgo } from '../lib/format.js';
import { Link, paths } from '../lib/router.js';

const SYNC_STATUSES = ['synced', 'drifted', 'missing', 'unreadable', 'error', 'unknown'];

export function DevicePage({ device }: { device: string }) {
  const detail = useApi<{ device: Device }>(`/api/devices/${encodeURIComponent(device)}`);
  const files = useApi<{ files: TrackedFile[] }>(withQuery('/api/files', { device }));
  const [filter, setFilter] = useState<FileFilter>({ status: '', type: '', text: '' });
  useLiveEvent((event) => {
    if (event.device === device && event.type !== 'file.event') files.reload();
  });

  const all = files.data?.files ?? [];
  const types = [...new Set(all.map((f) => f.configType))].sort();
  const shown = filterFiles(all, filter);
  const set = (key: keyof FileFilter) => (event: { target: { value: string } }) => setFilter({ ...filter, [key]: event.target.value });

  if (detail.error) return <p className="error">{detail.error.message}</p>;
  return (
    <div className="stack">
      <nav aria-label="Breadcrumb" className="crumbs">
        <Link href={paths.dashboard()}>Dashboard</Link> / <span aria-current="page">{device}</span>
      </nav>
      <section className="panel">
        <h1>{device}</h1>
        {detail.data ? (
          <p className="muted">
            {detail.data.device.transport === 'local' ? 'local host' : `${detail.data.device.user}@${detail.data.device.host}:${detail.data.device.port}`} · mode{' '}
            {detail.data.device.mode}
          </p>
        ) : null}
        <p className="actions">
          <Link href={paths.drift(device)} className="button">
            Drift
          </Link>
          <Link href={paths.graph(device)} className="button">
            Dependency graph
          </Link>
          <Link href={paths.compliance(device)} className="button">
            Compliance
          </Link>
        </p>
      </section>
      <section className="panel" aria-labelledby="files-title">
        <h2 id="files-title">Tracked files</h2>
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Status
            <select value={filter.status} onChange={set('status')}>
              <option value="">all</option>
              {SYNC_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
              <option value="invalid">invalid (validation)</option>
            </select>
          </label>
          <label>
            Type
            <select value={filter.type} onChange={set('type')}>
              <option value="">all</option>
              {types.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label className="grow">
            Path contains
            <input type="search" value={filter.text} onChange={set('text')} placeholder="e.g. sites-enabled" />
          </label>
        </form>
        <p className="muted">
          {shown.length} of {all.length} files
        </p>
        <div className="table-scroll">
          <table className="files">
            <thead>
              <tr>
                <th scope="col">Path</th>
                <th scope="col">Type</th>
                <th scope="col">Sync</th>
                <th scope="col">Validation</th>
                <th scope="col">Checked</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((f) => (
                <tr key={f.path} data-testid="file-row">
                  <td>
                    <Link href={paths.file(device, f.path)}>{f.path}</Link>
                    {f.lastError ? <div className="error small">{f.lastError}</div> : null}
                  </td>
                  <td>{f.configType}</td>
                  <td>
                    <Badge value={f.deleted ? 'missing' : f.syncStatus} label={f.deleted ? 'deleted' : f.syncStatus} />
                  </td>
                  <td>
                    <Badge value={f.validationStatus} />
                  </td>
                  <td>{formatAgo(f.lastCheckedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <LiveFeed device={device} />
    </div>
  );
}
