/**
 * One file: its version timeline, a side-by-side diff of any two versions,
 * the impact and parsed data of version B, and restore of version A.
 * Until the user picks versions, B follows the newest version and A the one
 * before it, so a live change shows up at once. Opened with a `line` (from
 * a compliance finding), it also shows version B's content with that line
 * highlighted.
 */
import { useEffect, useState } from 'react';
import { apiGet, apiText, withQuery } from '../api/client.js';
import type { DiffResult, HistoryPage, ImpactView, ParsedView, Version } from '../api/types.js';
import { useApi } from '../api/use-api.js';
import { DeviceCrumbs } from '../components/device-crumbs.js';
import { DiffView } from '../components/diff-view.js';
import { FileLines } from '../components/file-lines.js';
import { ImpactPanel } from '../components/impact-panel.js';
import { JsonTree } from '../components/json-tree.js';
import { RestoreDialog } from '../components/restore-dialog.js';
import { Timeline } from '../components/timeline.js';
import { useLiveEvent } from '../lib/event-stream.js';
import { formatTime } from '../lib/format.js';
import { useSession } from '../lib/session.js';

const snapshotPath = (id: string, part: string) => `/api/snapshots/${encodeURIComponent(id)}/${part}`;

export function FilePage({ device, path, line = null }: { device: string; path: string; line?: number | null }) {
  const session = useSession();
  const historyPath = withQuery(`/api/devices/${encodeURIComponent(device)}/files/history`, { path, limit: 100 });
  const first = useApi<HistoryPage>(historyPath);
  const [older, setOlder] = useState<{ versions: Version[]; cursor: string | null }>({ versions: [], cursor: null });
  const [picked, setPicked] = useState<{ from: string | null; to: string | null } | null>(null);
  const [restoring, setRestoring] = useState(false);

  useLiveEvent((event) => {
    if (event.device === device && 'path' in event && event.path === path && event.type !== 'file.event') first.reload();
  });
  // A new first page invalidates older pages fetched before it.
  useEffect(() => setOlder({ versions: [], cursor: first.data?.nextCursor ?? null }), [first.data]);

  const versions = [...(first.data?.versions ?? []), ...older.versions];
  const from = picked ? picked.from : (versions[1]?.id ?? null);
  const to = picked ? picked.to : (versions[0]?.id ?? null);
  const fromVersion = versions.find((v) => v.id === from);
  const toVersion = versions.find((v) => v.id === to);
  const newest = versions[0];

  const diff = useApi<DiffResult>(from && to && from !== to ? withQuery('/api/diff', { from, to }) : null);
  const impact = useApi<ImpactView>(to ? snapshotPath(to, 'impact') : null);
  const parsed = useApi<ParsedView>(to ? snapshotPath(to, 'parsed') : null);
  const [content, setContent] = useState<{ id: string; text: string } | { id: string; error: string }>();
  useEffect(() => {
    if (line === null || !to) return;
    apiText(snapshotPath(to, 'raw')).then(
      (text) => setContent({ id: to, text }),
      (error: Error) => setContent({ id: to, error: error.message }),
    );
  }, [line, to]);

  const loadOlder = async () => {
    if (!older.cursor) return;
    const page = await apiGet<HistoryPage>(withQuery(historyPath, { cursor: older.cursor }));
    setOlder({ versions: [...older.versions, ...page.versions], cursor: page.nextCursor });
  };
  const pick = (side: 'from' | 'to', id: string) => setPicked({ from, to, [side]: id });

  if (first.error) return <p className="error">{first.error.message}</p>;
  return (
    <div className="stack">
      <DeviceCrumbs device={device} current={path} />
      <section className="panel" aria-labelledby="timeline-title">
        <h1 id="timeline-title" className="path-title">
          {path}
        </h1>
        <Timeline versions={versions} from={from} to={to} onPick={pick} />
        {older.cursor ? (
          <button type="button" onClick={loadOlder}>
            Load older versions
          </button>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="diff-title">
        <h2 id="diff-title">Diff A → B</h2>
        {fromVersion && toVersion && from !== to ? (
          diff.data ? (
            <DiffView diff={diff.data} fromLabel={`A · ${formatTime(fromVersion.detectedAt)}`} toLabel={`B · ${formatTime(toVersion.detectedAt)}`} />
          ) : (
            <p className="muted">{diff.error?.message ?? 'Loading…'}</p>
          )
        ) : (
          <p className="muted">Pick two different versions (A and B) in the timeline.</p>
        )}
        {session.can('config:restore') && fromVersion && newest && fromVersion.id !== newest.id ? (
          <p className="actions">
            <button type="button" className="danger" onClick={() => setRestoring(true)}>
              Restore version A ({formatTime(fromVersion.detectedAt)})
            </button>
          </p>
        ) : null}
      </section>
      {line !== null ? (
        <section className="panel" aria-labelledby="content-title">
          <h2 id="content-title">Version B, line {line}</h2>
          {content?.id === to ? 'text' in content ? <FileLines text={content.text} highlight={line} /> : <p className="error">{content.error}</p> : <p className="muted">Loading…</p>}
        </section>
      ) : null}
      <section className="panel" aria-labelledby="impact-title">
        <h2 id="impact-title">Impact of version B</h2>
        {impact.data ? <ImpactPanel view={impact.data} /> : <p className="muted">{impact.error?.message ?? 'Loading…'}</p>}
      </section>
      <section className="panel" aria-labelledby="parsed-title">
        <h2 id="parsed-title">Parsed view of version B</h2>
        {parsed.data ? (
          <>
            {parsed.data.parseErrors?.length ? (
              <ul className="error">
                {parsed.data.parseErrors.map((e) => (
                  <li key={`${e.line}:${e.column}:${e.message}`}>
                    {e.line !== undefined ? `line ${e.line}: ` : ''}
                    {e.message}
                  </li>
                ))}
              </ul>
            ) : null}
            {parsed.data.parsed === null || parsed.data.parsed === undefined ? <p className="muted">Not parsed.</p> : <JsonTree value={parsed.data.parsed} />}
          </>
        ) : (
          <p className="muted">{parsed.error?.message ?? 'Loading…'}</p>
        )}
      </section>
      {restoring && fromVersion && newest ? (
        <RestoreDialog
          current={newest}
          target={fromVersion}
          onClose={(restored) => {
            setRestoring(false);
            if (restored) {
              setPicked(null);
              first.reload();
            }
          }}
        />
      ) : null}
    </div>
  );
}
