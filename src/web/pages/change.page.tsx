/**
 * One change request: its files with their diffs, impact and validation,
 * the reviews, and the actions the session may take — approve, reject
 * (with a comment), apply, rebase, cancel. The server decides what is
 * allowed (no self-approval, approvals bound to this revision); the page
 * shows its answer.
 */
import { useState } from 'react';
import { type ApiError, apiPost } from '../api/client.js';
import type { ChangeRequest } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { Badge } from '../components/badge.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { formatAgo, formatTime } from '../lib/format.js';
import { Link, paths } from '../lib/router.js';
import { useSession } from '../lib/session.js';

function UnifiedDiff({ text }: { text: string }) {
  if (!text) return <p className="muted">No textual difference.</p>;
  // a diff's lines never move: their position is their identity
  const lines = text.split('\n').map((line, at) => ({ id: `L${at}`, line }));
  return (
    <pre className="output unified-diff" data-testid="change-diff">
      {lines.map(({ id, line }) => (
        <span key={id} className={line.startsWith('+') && !line.startsWith('+++') ? 'diff-added' : line.startsWith('-') && !line.startsWith('---') ? 'diff-removed' : undefined}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

export function ChangePage({ id }: { id: string }) {
  const session = useSession();
  const request = useApi<ChangeRequest>(`/api/change-requests/${encodeURIComponent(id)}`);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<{ text: string; error: boolean }>();
  useLiveEvent((event) => {
    if (event.type.startsWith('change.') && (event as { requestId?: string }).requestId === id) request.reload();
  });

  const act = async (action: 'approve' | 'reject' | 'apply' | 'rebase' | 'cancel', body: unknown = {}) => {
    setBusy(true);
    try {
      const after = await apiPost<ChangeRequest>(`/api/change-requests/${encodeURIComponent(id)}/${action}`, body);
      setMessage({ text: `${action}: the request is now ${after.status}`, error: after.status === 'conflict' || after.status === 'failed' });
      setComment('');
      request.reload();
    } catch (error) {
      setMessage({ text: `${action}: ${(error as ApiError).message}`, error: true });
    } finally {
      setBusy(false);
    }
  };

  const r = request.data;
  const me = session.me?.user;
  const open = r?.status === 'pending' || r?.status === 'approved';
  return (
    <div className="stack">
      <nav className="crumbs" aria-label="Breadcrumbs">
        <Link href={paths.changes()}>Change requests</Link> / {id}
      </nav>
      {request.error ? <p className="error">{request.error.message}</p> : null}
      {r ? (
        <section className="panel stack" aria-labelledby="change-title">
          <h1 id="change-title">{r.title}</h1>
          <p>
            <Badge value={r.status} /> <Badge value={r.riskLevel} label={`risk: ${r.riskLevel}`} />{' '}
            <span data-testid="approval-count">
              {r.approvals.length} of {r.requiredApprovals} approvals
            </span>{' '}
            <span className="muted">
              proposed by {r.author} {formatAgo(r.createdAt)}, revision {r.revision}, expires {formatTime(r.expiresAt)}
            </span>
          </p>
          {message ? (
            <p className={message.error ? 'error' : 'notice'} role="status">
              {message.text}
            </p>
          ) : null}
          {r.outcome?.breakGlass ? (
            <p className="error">
              Applied with break-glass by {r.outcome.breakGlass.by}: {r.outcome.breakGlass.reason}
            </p>
          ) : null}
          {r.outcome?.conflicts?.length ? (
            <div className="error">
              Not applied: these files changed since the request was approved (nothing was written).
              <ul>
                {r.outcome.conflicts.map((c) => (
                  <li key={`${c.device}:${c.path}`}>
                    {c.device}:{c.path}
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {r.outcome?.error && r.status === 'failed' ? <p className="error">{r.outcome.error}</p> : null}
          <h2>Reviews</h2>
          <ul data-testid="reviews">
            {r.approvals.map((a) => (
              <li key={`a:${a.user}`}>
                approved by {a.user} {formatAgo(a.at)}
                {a.comment ? `: ${a.comment}` : ''}
              </li>
            ))}
            {r.rejections.map((j) => (
              <li key={`r:${j.user}:${j.at}`}>
                rejected by {j.user} {formatAgo(j.at)}: {j.comment}
              </li>
            ))}
            {r.approvals.length + r.rejections.length === 0 ? <li className="muted">none yet</li> : null}
          </ul>
          <div className="actions">
            {open && session.can('config:approve') && me !== r.author ? (
              <>
                <label>
                  Comment{' '}
                  <input value={comment} onChange={(e) => setComment(e.target.value)} aria-label="Review comment" maxLength={2000} />
                </label>
                {r.status === 'pending' ? (
                  <button type="button" disabled={busy} onClick={() => act('approve', comment.trim() ? { comment: comment.trim() } : {})}>
                    Approve
                  </button>
                ) : null}
                <button type="button" disabled={busy || !comment.trim()} onClick={() => act('reject', { comment: comment.trim() })}>
                  Reject
                </button>
              </>
            ) : null}
            {r.status === 'approved' && session.can('config:edit') ? (
              <button type="button" disabled={busy} onClick={() => act('apply')}>
                Apply
              </button>
            ) : null}
            {(r.status === 'conflict' || r.status === 'failed') && session.can('config:edit') ? (
              <button type="button" disabled={busy} onClick={() => act('rebase')}>
                Rebase
              </button>
            ) : null}
            {(open || r.status === 'conflict') && session.can('config:edit') && (me === r.author || session.me?.role === 'admin') ? (
              <button type="button" disabled={busy} onClick={() => act('cancel')}>
                Cancel request
              </button>
            ) : null}
          </div>
          <h2>Files</h2>
          {r.files.map((f) => (
            <article key={`${f.device}:${f.path}`} className="panel" data-testid="change-file">
              <h3>
                <Link href={paths.file(f.device, f.path)}>
                  {f.device}:{f.path}
                </Link>{' '}
                <Badge value={f.action} /> <Badge value={f.riskLevel} label={`risk: ${f.riskLevel}`} />
                {f.validation ? <Badge value={f.validation.status} label={`validation: ${f.validation.status}`} /> : null}
              </h3>
              {f.impact.reasons.length > 0 ? (
                <ul>
                  {f.impact.reasons.map((reason) => (
                    <li key={`${reason.rule}:${reason.detail}`}>
                      <Badge value={reason.level} /> {reason.detail}
                    </li>
                  ))}
                </ul>
              ) : null}
              {f.impact.downstreamServices.length > 0 ? <p className="muted">Downstream: {f.impact.downstreamServices.join(', ')}</p> : null}
              {f.warning ? <p className="notice">{f.warning}</p> : null}
              <UnifiedDiff text={f.diff} />
            </article>
          ))}
        </section>
      ) : request.loading ? (
        <p className="muted">Loading…</p>
      ) : null}
    </div>
  );
}
