import { NginxConfigError } from './config-error.js';
import { LUA_BLOCK_DIRECTIVES, lexLuaBlock } from './lua-block.js';
import { type Token, TokenColumns } from './token.js';
import { isSpaceUnit, UnitReader } from './unit-reader.js';

/** The tokens of one file, and the error that ends the stream, if any. */
export interface LexResult {
  /** Tokens in order, up to the point where lexing stopped. */
  readonly tokens: readonly Token[];
  /**
   * Raised by crossplane when the parser asks for the token after the last
   * one: an unbalanced brace or a malformed Lua block. Absent when the
   * stream simply ends.
   */
  readonly failure?: NginxConfigError;
}

/** `LexResult` with the tokens as columns, as the parser reads them. */
export interface LexColumnsResult {
  readonly tokens: TokenColumns;
  readonly failure?: NginxConfigError;
}

/**
 * Decodes a config file as crossplane reads it: UTF-8 with invalid bytes
 * replaced by U+FFFD, and universal newlines (`\r\n` and `\r` become `\n`).
 */
export function decodeNginxText(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

/**
 * Splits nginx config text into tokens exactly as crossplane 0.5.7 does:
 * whitespace, `{`, `}` and `;` separate tokens; quotes only start a string
 * at the start of a token; `#` only starts a comment at the start of a token
 * (a comment ending the file without a newline is dropped); `${...}` keeps
 * its braces; `*_by_lua_block` bodies are one raw token. Braces are checked
 * for balance, with crossplane's messages and lines. Never throws.
 */
export function lexNginx(text: string, fileLabel: string): LexResult {
  const { tokens, failure } = lexNginxColumns(text, fileLabel);
  const list: Token[] = tokens.values.map((value, i) => ({ value, line: tokens.line(i), quoted: tokens.quoted(i) }));
  return failure ? { tokens: list, failure } : { tokens: list };
}

/** `lexNginx` with the tokens as columns. */
export function lexNginxColumns(text: string, fileLabel: string): LexColumnsResult {
  // Sized for a typical density of one token per 8 characters; it grows beyond.
  const tokens = new TokenColumns(text.length >> 3);
  let lexFailure: NginxConfigError | undefined;
  try {
    lexInto(text, new UnitReader(text), tokens);
  } catch (error) {
    lexFailure = error as NginxConfigError;
  }
  return checkBraceBalance(tokens, fileLabel, lexFailure);
}

function lexInto(text: string, reader: UnitReader, out: TokenColumns): void {
  // An unquoted token is always a contiguous slice of the text (escapes kept
  // as written), so it is tracked by position and cut out once, not built up
  // one character at a time.
  let start = -1;
  let end = -1;
  let tokenLine = 0;
  let nextIsDirective = true;
  const hasToken = () => start >= 0;
  const lastCode = () => (start >= 0 ? text.charCodeAt(end - 1) : -1);
  const extend = () => {
    if (start < 0) start = reader.position - reader.unit.length;
    end = reader.position;
  };
  const take = (): string => {
    const value = text.slice(start, end);
    start = -1;
    return value;
  };

  // Emits a finished token; a Lua block directive then lexes its body.
  const emit = (value: string, quoted: boolean): boolean => {
    out.push(value, tokenLine, quoted);
    if (!nextIsDirective || !LUA_BLOCK_DIRECTIVES.has(value)) {
      nextIsDirective = false;
      return true;
    }
    return lexLuaBlock(reader, value, out);
  };

  while (reader.advance()) {
    let unit = reader.unit;
    if (isSpaceUnit(unit)) {
      if (hasToken() && !emit(take(), false)) return;
      while (isSpaceUnit(unit)) {
        if (!reader.advance()) return;
        unit = reader.unit;
      }
    }

    if (!hasToken() && unit === '#') {
      const commentLine = reader.line;
      // Units are contiguous, so the comment is one slice up to the unit holding the newline.
      const commentStart = reader.position - unit.length;
      while (unit.charCodeAt(unit.length - 1) !== NEWLINE) {
        if (!reader.advance()) return;
        unit = reader.unit;
      }
      out.push(text.slice(commentStart, reader.position - unit.length), commentLine, false);
      continue;
    }

    if (!hasToken()) tokenLine = reader.line;

    if (unit === '{' && lastCode() === DOLLAR) {
      nextIsDirective = false;
      while (lastCode() !== CLOSE_BRACE && !isSpaceUnit(unit)) {
        extend();
        if (!reader.advance()) return;
        unit = reader.unit;
      }
    }

    if (unit === '"' || unit === "'") {
      if (hasToken()) {
        extend();
        continue;
      }
      const quote = unit;
      const escapedQuote = `\\${quote}`;
      // Built from slices between escaped quotes rather than one unit at a time:
      // per-character concatenation makes long strings cost far more than their length.
      let value = '';
      let from = reader.position;
      if (!reader.advance()) return;
      while (reader.unit !== quote) {
        if (reader.unit === escapedQuote) {
          value += text.slice(from, reader.position - 2) + quote;
          from = reader.position;
        }
        if (!reader.advance()) return;
      }
      value += text.slice(from, reader.position - 1);
      if (!emit(value, true)) return;
      continue;
    }

    if (unit === '{' || unit === '}' || unit === ';') {
      if (hasToken()) out.push(take(), tokenLine, false);
      out.push(unit, reader.line, false);
      nextIsDirective = true;
      continue;
    }

    extend();
  }
}

/**
 * Cuts the stream at the first unmatched `}`; otherwise a Lua block failure
 * ends it, or else a missing `}` is flagged at the last token.
 */
function checkBraceBalance(tokens: TokenColumns, fileLabel: string, lexFailure: NginxConfigError | undefined): LexColumnsResult {
  const { values } = tokens;
  let depth = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if ((value !== '{' && value !== '}') || tokens.quoted(i)) continue;
    if (value === '{') depth++;
    else if (--depth < 0) {
      const failure = new NginxConfigError('unexpected "}"', fileLabel, tokens.line(i));
      tokens.truncate(i);
      return { tokens, failure };
    }
  }
  if (lexFailure) return { tokens, failure: lexFailure };
  if (depth > 0) {
    return { tokens, failure: new NginxConfigError('unexpected end of file, expecting "}"', fileLabel, tokens.line(values.length - 1)) };
  }
  return { tokens };
}

const NEWLINE = 0x0a;
const DOLLAR = 0x24;
const CLOSE_BRACE = 0x7d;
