/** Change requests, newest first, filtered by status; each links to its detail page. */
import { useState } from 'react';
import { withQuery } from '../api/client.js';
import type { ChangeRequest } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { formatAgo } from '../lib/format.js';
import { Link, paths } from '../lib/router.js';

const STATUSES = ['', 'pending', 'approved', 'rejected', 'applying', 'applied', 'failed', 'conflict', 'expired', 'cancelled'] as const;

export function ChangesPage() {
  const [status, setStatus] = useState<string>('');
  const list = useApi<{ changeRequests: ChangeRequest[] }>(withQuery('/api/change-requests', { status: status || undefined }));
  useLiveEvent((event) => {
    if (event.type.startsWith('change.')) list.reload();
  });
  return (
    <section className="panel stack" aria-labelledby="changes-title">
      <h1 id="changes-title">Change requests</h1>
      <label>
        Status{' '}
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s || 'any'}
            </option>
          ))}
        </select>
      </label>
      {list.error ? <p className="error">{list.error.message}</p> : null}
      {list.data && list.data.changeRequests.length === 0 ? <p className="notice">No change requests. Propose one with `confwatch change propose CHANGES.yaml`.</p> : null}
      <div className="table-scroll">
        <table>
          <thead>
            <tr>
              <th>Title</th>
              <th>Status</th>
              <th>Risk</th>
              <th>Approvals</th>
              <th>Devices</th>
              <th>Author</th>
              <th>Proposed</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.changeRequests ?? []).map((r) => (
              <tr key={r.id} data-testid="change-row">
                <td>
                  <Link href={paths.change(r.id)}>{r.title}</Link>
                </td>
                <td>
                  <Badge value={r.status} />
                </td>
                <td>
                  <Badge value={r.riskLevel} />
                </td>
                <td>
                  {r.approvals.length} / {r.requiredApprovals}
                </td>
                <td>{r.devices.join(', ')}</td>
                <td>{r.author}</td>
                <td>{formatAgo(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
