/** One highlighted line of config text. */
import { highlightLine } from '../lib/highlight.js';

export function CodeLine({ text }: { text: string }) {
  return (
    <>
      {highlightLine(text).map((token, i) =>
        token.kind === 'text' ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: tokens of one line never reorder
          <span key={i}>{token.text}</span>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: tokens of one line never reorder
          <span key={i} className={`tok-${token.kind}`}>
            {token.text}
          </span>
        ),
      )}
    </>
  );
}
