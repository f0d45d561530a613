/**
 * A file's content with line numbers, one line highlighted and scrolled
 * into view (each line has an `L<n>` anchor, so a link can name it).
 */
import { useEffect, useRef } from 'react';

export function FileLines({ text, highlight }: { text: string; highlight: number }) {
  const hit = useRef<HTMLLIElement>(null);
  useEffect(() => hit.current?.scrollIntoView({ block: 'center' }), []);
  const lines = text.replace(/\n$/, '').split('\n');
  return (
    <div className="diff-scroll">
      <ol className="file-lines">
        {lines.map((content, i) => {
          const number = i + 1;
          const current = number === highlight;
          return (
            <li key={number} id={`L${number}`} ref={current ? hit : undefined} className={current ? 'line-hit' : undefined} aria-current={current ? 'location' : undefined} data-testid={current ? 'highlighted-line' : undefined}>
              <code>{content}</code>
            </li>
          );
        })}
      </ol>
    </div>
  );
}
