/** Side-by-side diff from the API's structured rows, with highlighting. */
import type { DiffCell, DiffResult } from '../api/types.js';
import { CodeLine } from './code-line.js';

function Cell({ cell, side, kind }: { cell: DiffCell | null; side: 'left' | 'right'; kind: string }) {
  const change = cell === null ? 'empty' : kind === 'context' ? 'context' : side === 'left' ? 'removed' : 'added';
  return (
    <>
      <td className={`diff-num diff-${change}`}>{cell?.line ?? ''}</td>
      <td className={`diff-code diff-${change}`}>{cell ? <CodeLine text={cell.text} /> : null}</td>
    </>
  );
}

export function DiffView({ diff, fromLabel, toLabel }: { diff: DiffResult; fromLabel: string; toLabel: string }) {
  if (diff.binary) return <p className="notice">{diff.message ?? 'Binary content: no text diff.'}</p>;
  if (diff.rows.length === 0) return <p className="notice">The two versions have the same content.</p>;
  return (
    <div className="diff" data-testid="diff">
      <p className="diff-summary">
        <span className="diff-added-count">+{diff.added}</span> <span className="diff-removed-count">−{diff.removed}</span>
      </p>
      <div className="diff-scroll">
        <table className="diff-table">
          <colgroup>
            <col className="diff-num-col" />
            <col />
            <col className="diff-num-col" />
            <col />
          </colgroup>
          <thead>
            <tr>
              <th colSpan={2} scope="colgroup">
                {fromLabel}
              </th>
              <th colSpan={2} scope="colgroup">
                {toLabel}
              </th>
            </tr>
          </thead>
          <tbody>
            {diff.rows.map((row, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
              <tr key={i}>
                <Cell cell={row.left} side="left" kind={row.kind} />
                <Cell cell={row.right} side="right" kind={row.kind} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
