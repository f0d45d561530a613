/**
 * Drift of one device: files whose live content left the baseline (or
 * vanished, or cannot be read), with the two resolutions: write the
 * baseline back, or accept the live version as the new baseline.
 */
import { useState } from 'react';
import { type ApiError, apiPost, withQuery } from '../api/client.js';
import type { TrackedFile } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { DeviceCrumbs } from '../components/device-crumbs.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { formatAgo } from '../lib/format.js';
import { Link, paths } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const DRIFTED = new Set(['drifted', 'missing', 'unreadable', 'error']);

type Resolution = 'restore' | 'accept';

export function DriftPage({ device }: { device: string }) {
  const session = useSession();
  const files = useApi<{ files: TrackedFile[] }>(withQuery('/api/files', { device }));
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  const [busy, setBusy] = useState<string>();
  useLiveEvent((event) => {
    if (event.device === device && event.type.startsWith('config.')) files.reload();
  });

  const resolve = async (path: string, resolution: Resolution) => {
    setBusy(path);
    try {
      const answer = await apiPost<{ changeRequest?: { id: string; riskLevel: string; requiredApprovals: number } }>('/api/drift/resolve', { device, path, resolution });
      const gated = answer.changeRequest;
      setMessage({
        text: gated
          ? `${path}: accepting it is ${gated.riskLevel}, so it was proposed as change request ${gated.id} (${gated.requiredApprovals} approvals needed)`
          : `${path}: ${resolution === 'restore' ? 'baseline restored' : 'live version accepted'}`,
        error: false,
      });
      files.reload();
    } catch (error) {
      setMessage({ text: `${path}: ${(error as ApiError).message}`, error: true });
    } finally {
      setBusy(undefined);
    }
  };

  const drifted = (files.data?.files ?? []).filter((f) => DRIFTED.has(f.syncStatus));
  return (
    <div className="stack">
      <DeviceCrumbs device={device} current="drift" />
      <section className="panel" aria-labelledby="drift-title">
        <h1 id="drift-title">Drift on {device}</h1>
        {message ? (
          <p className={message.error ? 'error' : 'notice'} role="status">
            {message.text}
          </p>
        ) : null}
        {files.error ? <p className="error">{files.error.message}</p> : null}
        {files.data && drifted.length === 0 ? <p className="notice">Every tracked file matches its baseline.</p> : null}
        <ul className="drift-list">
          {drifted.map((f) => (
            <li key={f.path} className="drift-item" data-testid="drift-item">
              <div>
                <Link href={paths.file(device, f.path)}>{f.path}</Link> <Badge value={f.syncStatus} />
                <div className="muted small">checked {formatAgo(f.lastCheckedAt)}</div>
                {f.lastError ? <div className="error small">{f.lastError}</div> : null}
              </div>
              <div className="actions">
                {session.can('config:restore') ? (
                  <button type="button" disabled={busy === f.path} onClick={() => resolve(f.path, 'restore')}>
                    Restore baseline
                  </button>
                ) : null}
                {session.can('config:edit') && f.syncStatus !== 'unreadable' ? (
                  <button type="button" disabled={busy === f.path} onClick={() => resolve(f.path, 'accept')}>
                    Accept live version
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
