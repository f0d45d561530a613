/**
 * Change requests, newest first, filtered by status; each links to its
 * detail page. A user with config:edit proposes one for a file from here.
 */
import { type FormEvent, useState } from 'react';
import { type ApiError, apiPost, withQuery } from '../api/client.js';
import type { ChangeRequest } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { formatAgo } from '../lib/format.js';
import { Link, navigate, paths } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const STATUSES = ['', 'pending', 'approved', 'rejected', 'applying', 'applied', 'failed', 'conflict', 'expired', 'cancelled'] as const;

/** One file's new content on one device, proposed as a request (the same entry as CHANGES.yaml's `content`). */
function ProposeForm() {
  const [form, setForm] = useState({ title: '', device: '', path: '', content: '' });
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const proposed = await apiPost<ChangeRequest>('/api/change-requests', {
        ...(form.title.trim() ? { title: form.title.trim() } : {}),
        changes: [{ device: form.device, path: form.path, content: form.content }],
      });
      navigate(paths.change(proposed.id));
    } catch (caught) {
      setError((caught as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <details>
      <summary>Propose a change</summary>
      <form onSubmit={submit} className="stack" aria-label="Propose a change">
        <label>
          Title
          <input name="title" value={form.title} onChange={(e) => setForm({ ...form, title: e.target.value })} placeholder="(default: the files and devices)" />
        </label>
        <label>
          Device
          <input name="device" value={form.device} onChange={(e) => setForm({ ...form, device: e.target.value })} required />
        </label>
        <label>
          Path on the device
          <input name="path" value={form.path} onChange={(e) => setForm({ ...form, path: e.target.value })} required />
        </label>
        <label>
          New content
          <textarea name="content" rows={10} value={form.content} onChange={(e) => setForm({ ...form, content: e.target.value })} />
        </label>
        <button type="submit" disabled={busy}>
          Propose
        </button>
        {error ? <p className="error">{error}</p> : null}
      </form>
    </details>
  );
}

export function ChangesPage() {
  const session = useSession();
  const [status, setStatus] = useState<string>('');
  const list = useApi<{ changeRequests: ChangeRequest[] }>(withQuery('/api/change-requests', { status: status || undefined }));
  useLiveEvent((event) => {
    if (event.type.startsWith('change.')) list.reload();
  });
  return (
    <section className="panel stack" aria-labelledby="changes-title">
      <h1 id="changes-title">Change requests</h1>
      {session.can('config:edit') ? <ProposeForm /> : null}
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
