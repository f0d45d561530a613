import { NginxConfigError } from './config-error.js';
import { LUA_BLOCK_DIRECTIVES, lexLuaBlock } from './lua-block.js';
import { type Token, TokenColumns } from './token.js';
import { isSpaceCode, UnitReader } from './unit-reader.js';

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
    lexInto(text, new UnitReader(text), tokens, initialLexState(), Number.POSITIVE_INFINITY);
  } catch (error) {
    lexFailure = error as NginxConfigError;
  }
  return checkBraceBalance(tokens, fileLabel, lexFailure);
}

/** Where `lexInto` stopped, so that lexing can go on in batches. */
interface LexState {
  pos: number;
  line: number;
  /** Start of the unquoted token being read, or -1. */
  start: number;
  tokenLine: number;
  nextIsDirective: boolean;
}

function initialLexState(): LexState {
  return { pos: 0, line: 1, start: -1, tokenLine: 0, nextIsDirective: true };
}

/**
 * Scans with character codes rather than one string per character: an
 * unquoted token is a contiguous slice of the text (escapes kept as written),
 * so it is cut out once when it ends, and runs of ordinary characters and of
 * whitespace are skipped in tight loops. The steps follow crossplane's
 * per-character loop, where a backslash and the character after it form one
 * unit that never counts as a separator or quote; `line` counts the newlines
 * of every unit read so far, as in `UnitReader`.
 */
/**
 * The tokens of a file a batch at a time, for the parser: a large file
 * never holds all its tokens at once. The stream is the one
 * `lexNginxColumns` gives, cut at the first unmatched `}` the same way.
 */
export class NginxTokenBatches {
  /** The current batch; refilled by `next()`. */
  readonly tokens = new TokenColumns(BATCH_SIZE);
  /** Set once the stream has ended with an error (see `LexResult.failure`). */
  failure: NginxConfigError | undefined;
  readonly #text: string;
  readonly #fileLabel: string;
  readonly #reader: UnitReader;
  readonly #state = initialLexState();
  #done = false;
  #depth = 0;
  #lastLine = 0;

  constructor(text: string, fileLabel: string) {
    this.#text = text;
    this.#fileLabel = fileLabel;
    this.#reader = new UnitReader(text);
  }

  /** Replaces the batch with the next tokens; false when none are left. */
  next(): boolean {
    const tokens = this.tokens;
    tokens.clear();
    if (this.#done) return false;
    let more = false;
    let lexFailure: NginxConfigError | undefined;
    try {
      more = lexInto(this.#text, this.#reader, tokens, this.#state, BATCH_SIZE);
    } catch (error) {
      lexFailure = error as NginxConfigError;
    }
    const { values } = tokens;
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      if ((value !== '{' && value !== '}') || tokens.quoted(i)) continue;
      if (value === '{') this.#depth++;
      else if (--this.#depth < 0) {
        this.failure = new NginxConfigError('unexpected "}"', this.#fileLabel, tokens.line(i));
        tokens.truncate(i);
        this.#done = true;
        return tokens.length > 0;
      }
    }
    if (values.length > 0) this.#lastLine = tokens.line(values.length - 1);
    if (!more) {
      this.#done = true;
      if (lexFailure) this.failure = lexFailure;
      else if (this.#depth > 0) this.failure = new NginxConfigError('unexpected end of file, expecting "}"', this.#fileLabel, this.#lastLine);
    }
    return tokens.length > 0;
  }
}

/** Tokens per batch: small enough to stay in cache, large enough to amortize a call. */
const BATCH_SIZE = 4096;

function lexInto(text: string, reader: UnitReader, out: TokenColumns, state: LexState, limit: number): boolean {
  const length = text.length;
  let { pos, line, start, tokenLine, nextIsDirective } = state;

  while (pos < length) {
    if (out.length >= limit) {
      state.pos = pos;
      state.line = line;
      state.start = start;
      state.tokenLine = tokenLine;
      state.nextIsDirective = nextIsDirective;
      return true;
    }
    // Read one unit: [unitStart, pos), first code `code`, `escaped` for a backslash pair.
    let unitStart = pos;
    let code = text.charCodeAt(pos);
    let escaped = code === BACKSLASH;
    if (escaped) {
      if (pos + 1 >= length) return false;
      pos += 2;
      if (text.charCodeAt(pos - 1) === NEWLINE) line++;
    } else {
      pos++;
      if (code === NEWLINE) line++;
    }

    if (!escaped && isSpaceCode(code)) {
      if (start >= 0) {
        const value = text.slice(start, unitStart);
        start = -1;
        out.push(value, tokenLine, false);
        if (nextIsDirective && isLuaBlockDirective(value)) {
          reader.seek(pos, line);
          if (!lexLuaBlock(reader, value, out)) return false;
          pos = reader.position;
          line = reader.lineCount;
          continue;
        }
        nextIsDirective = false;
      }
      // Skip the rest of the whitespace run and read the unit after it.
      for (;;) {
        if (pos >= length) return false;
        unitStart = pos;
        code = text.charCodeAt(pos);
        if (code === BACKSLASH) {
          if (pos + 1 >= length) return false;
          escaped = true;
          pos += 2;
          if (text.charCodeAt(pos - 1) === NEWLINE) line++;
          break;
        }
        pos++;
        if (code === NEWLINE) line++;
        else if (!isSpaceCode(code)) break;
      }
    }

    if (start < 0 && !escaped && code === HASH) {
      // The first newline ends a unit whether or not a backslash precedes it;
      // an escaped newline is not part of the comment.
      const newline = text.indexOf('\n', pos);
      if (newline < 0) return false;
      let backslashes = 0;
      while (newline - backslashes - 1 >= pos && text.charCodeAt(newline - backslashes - 1) === BACKSLASH) backslashes++;
      out.push(text.slice(unitStart, newline - (backslashes & 1)), line, false);
      pos = newline + 1;
      line++;
      continue;
    }

    if (start < 0) tokenLine = line;

    if (!escaped && code === OPEN_BRACE && start >= 0 && text.charCodeAt(unitStart - 1) === DOLLAR) {
      // `${...}` keeps its braces: units join the token up to one ending in `}`
      // or up to whitespace, which then joins the token too.
      nextIsDirective = false;
      while (text.charCodeAt(unitStart - 1) !== CLOSE_BRACE && (escaped || !isSpaceCode(code))) {
        if (pos >= length) return false;
        unitStart = pos;
        code = text.charCodeAt(pos);
        escaped = code === BACKSLASH;
        if (escaped) {
          if (pos + 1 >= length) return false;
          pos += 2;
          if (text.charCodeAt(pos - 1) === NEWLINE) line++;
        } else {
          pos++;
          if (code === NEWLINE) line++;
        }
      }
    }

    if (!escaped && (code === DOUBLE_QUOTE || code === SINGLE_QUOTE)) {
      if (start >= 0) continue;
      // Built from slices between escaped quotes: per-character concatenation
      // makes long strings cost far more than their length.
      let value = '';
      let from = pos;
      for (;;) {
        if (pos >= length) return false;
        const c = text.charCodeAt(pos);
        if (c === BACKSLASH) {
          if (pos + 1 >= length) return false;
          const next = text.charCodeAt(pos + 1);
          if (next === NEWLINE) line++;
          else if (next === code) {
            value += text.slice(from, pos) + (code === DOUBLE_QUOTE ? '"' : "'");
            from = pos + 2;
          }
          pos += 2;
          continue;
        }
        pos++;
        if (c === code) break;
        if (c === NEWLINE) line++;
      }
      value += text.slice(from, pos - 1);
      out.push(value, tokenLine, true);
      if (nextIsDirective && isLuaBlockDirective(value)) {
        reader.seek(pos, line);
        if (!lexLuaBlock(reader, value, out)) return false;
        pos = reader.position;
        line = reader.lineCount;
        continue;
      }
      nextIsDirective = false;
      continue;
    }

    if (!escaped && (code === OPEN_BRACE || code === CLOSE_BRACE || code === SEMICOLON)) {
      if (start >= 0) {
        out.push(text.slice(start, unitStart), tokenLine, false);
        start = -1;
      }
      out.push(code === OPEN_BRACE ? '{' : code === CLOSE_BRACE ? '}' : ';', line, false);
      nextIsDirective = true;
      continue;
    }

    if (start < 0) start = unitStart;
    // Ordinary characters only extend the token: skip them in one go.
    while (pos < length) {
      const c = text.charCodeAt(pos);
      if (c < 0x80 ? STOPS_TOKEN[c] === 1 : isSpaceCode(c)) break;
      pos++;
    }
  }  return false;
}

/** Cheap length and last-letter test first: most directives are not Lua blocks. */
function isLuaBlockDirective(value: string): boolean {
  return value.length >= 14 && value.charCodeAt(value.length - 1) === 0x6b && LUA_BLOCK_DIRECTIVES.has(value);
}


/** ASCII codes that end a run of ordinary token characters: whitespace, `{`, `}`, `;` and the backslash. */
const STOPS_TOKEN = (() => {
  const table = new Uint8Array(0x80);
  for (let c = 0; c < 0x80; c++) if (isSpaceCode(c)) table[c] = 1;
  for (const c of [0x7b, 0x7d, 0x3b, 0x5c]) table[c] = 1;
  return table;
})();

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
const DOUBLE_QUOTE = 0x22;
const HASH = 0x23;
const DOLLAR = 0x24;
const SINGLE_QUOTE = 0x27;
const SEMICOLON = 0x3b;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
