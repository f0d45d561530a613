/**
 * Restore confirmation: a modal <dialog> (focus stays inside, Escape
 * cancels) that shows the diff from the current version to the target and
 * the server's dry-run validation before anything is written.
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError, apiPost, withQuery } from '../api/client.js';
import type { DiffResult, RestoreResult, Version } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { formatTime } from '../lib/format.js';
import { Badge } from './badge.js';
import { DiffView } from './diff-view.js';

export interface RestoreDialogProps {
  readonly current: Version;
  readonly target: Version;
  readonly onClose: (restored: boolean) => void;
}

const restorePath = (id: string) => `/api/snapshots/${encodeURIComponent(id)}/restore`;

export function RestoreDialog({ current, target, onClose }: RestoreDialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const diff = useApi<DiffResult>(withQuery('/api/diff', { from: current.id, to: target.id }));
  const [dryRun, setDryRun] = useState<RestoreResult | ApiError>();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError>();

  useEffect(() => {
    dialog.current?.showModal();
    apiPost<RestoreResult>(restorePath(target.id), { dryRun: true }).then(setDryRun, setDryRun);
  }, [target.id]);

  const confirm = async () => {
    setBusy(true);
    try {
      await apiPost<RestoreResult>(restorePath(target.id), { dryRun: false });
      onClose(true);
    } catch (error) {
      setFailure(error as ApiError);
      setBusy(false);
    }
  };

  const planned = dryRun instanceof ApiError ? undefined : dryRun?.files[0];
  const validation = planned?.validation;
  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="restore-title" onCancel={() => onClose(false)}>
      <h2 id="restore-title">Restore the version of {formatTime(target.detectedAt)}?</h2>
      <p>This writes that version back to the host, replacing the current one ({formatTime(current.detectedAt)}).</p>
      <h3>Changes to the file</h3>
      {diff.data ? <DiffView diff={diff.data} fromLabel="current" toLabel="after restore" /> : <p className="muted">{diff.error?.message ?? 'Loading diff…'}</p>}
      <h3>Validation</h3>
      {dryRun === undefined ? <p className="muted">Checking…</p> : null}
      {dryRun instanceof ApiError ? <p className="error">Dry run failed: {dryRun.message}</p> : null}
      {validation ? (
        <div data-testid="restore-validation">
          <Badge value={validation.status} /> {validation.tool ? <code>{validation.tool}</code> : null}
          {validation.output ? <pre className="output">{validation.output}</pre> : null}
        </div>
      ) : planned ? (
        <p className="muted">No validator for this file.</p>
      ) : null}
      {planned?.action === 'unchanged' ? <p className="notice">The live file already has this content.</p> : null}
      {failure ? <p className="error" role="alert">Restore failed: {failure.message}</p> : null}
      <div className="dialog-actions">
        <button type="button" onClick={() => onClose(false)}>
          Cancel
        </button>
        <button type="button" className="danger" disabled={busy || validation?.status === 'invalid'} onClick={confirm}>
          {busy ? 'Restoring…' : 'Restore'}
        </button>
      </div>
    </dialog>
  );
}
