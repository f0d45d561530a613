/**
 * Line-level syntax highlighting for config files (nginx, YAML, INI, .env,
 * systemd, sshd): comments, section headers, keys, quoted strings, and
 * everything else as plain text. Pure and line-local, so each diff cell
 * highlights on its own.
 */

export type TokenKind = 'comment' | 'section' | 'key' | 'string' | 'punct' | 'text';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
}

const SECTION = /^(\s*)(\[[^\]]*\])(.*)$/;
// `key:` (YAML), `key =` (INI, .env, systemd) or a leading word (nginx, sshd directives).
const KEY = /^(\s*(?:-\s+)?)([A-Za-z_][\w.\-/]*)(\s*[:=]|\s+|$)/;
const STRING = /"(?:[^"\\]|\\.)*"?|'[^']*'?/g;

/** Splits a line into highlighted tokens; their texts concatenate to the line. */
export function highlightLine(line: string): Token[] {
  const commentAt = findComment(line);
  const code = commentAt === -1 ? line : line.slice(0, commentAt);
  const tokens: Token[] = [];
  const section = SECTION.exec(code);
  if (section) {
    push(tokens, 'text', section[1] as string);
    push(tokens, 'section', section[2] as string);
    pushStrings(tokens, section[3] as string);
  } else {
    const key = KEY.exec(code);
    if (key && (key[2] as string).length > 0) {
      push(tokens, 'text', key[1] as string);
      push(tokens, 'key', key[2] as string);
      push(tokens, 'punct', key[3] as string);
      pushStrings(tokens, code.slice(key[0].length));
    } else pushStrings(tokens, code);
  }
  if (commentAt !== -1) push(tokens, 'comment', line.slice(commentAt));
  return tokens;
}

/** Index of a `#` or `;` comment start outside quotes (at line start or after whitespace), or -1. */
function findComment(line: string): number {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if ((ch === '#' || (ch === ';' && line.slice(0, i).trim() === '')) && (i === 0 || /\s/.test(line[i - 1] as string))) return i;
  }
  return -1;
}

function pushStrings(tokens: Token[], text: string): void {
  let last = 0;
  for (const match of text.matchAll(STRING)) {
    push(tokens, 'text', text.slice(last, match.index));
    push(tokens, 'string', match[0]);
    last = match.index + match[0].length;
  }
  push(tokens, 'text', text.slice(last));
}

function push(tokens: Token[], kind: TokenKind, text: string): void {
  if (text === '') return;
  const previous = tokens[tokens.length - 1];
  if (previous && previous.kind === kind) tokens[tokens.length - 1] = { kind, text: previous.text + text };
  else tokens.push({ kind, text });
}
