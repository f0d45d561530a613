import type { ParseIssue } from '../parser.js';
import { splitLines } from './decode-text.js';

/** Variables read from a `.env` file, in file order. */
export interface DotenvResult {
  /** Variable name → value; a later assignment replaces an earlier one. */
  readonly values: Record<string, string>;
  /** 1-based line of each variable's (last) assignment. */
  readonly lines: Record<string, number>;
  readonly errors: readonly ParseIssue[];
}

const ASSIGNMENT = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;
const DOUBLE_QUOTE_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\', $: '$' };

/**
 * Parses `.env` syntax as Docker Compose reads it: `KEY=value`, optional
 * `export`, `#` comments, single quotes literal, double quotes with escapes
 * (and possibly spanning lines), an unquoted value ending at ` #`.
 */
export function parseDotenv(text: string): DotenvResult {
  const values: Record<string, string> = Object.create(null);
  const lines: Record<string, number> = Object.create(null);
  const errors: ParseIssue[] = [];
  const all = splitLines(text);
  for (let i = 0; i < all.length; i++) {
    const raw = (all[i] ?? '').trim();
    if (raw === '' || raw.startsWith('#')) continue;
    const match = ASSIGNMENT.exec(raw);
    if (!match) {
      errors.push({ message: `Expected KEY=value, got "${raw.slice(0, 40)}"`, line: i + 1 });
      continue;
    }
    const key = match[1]!;
    const startLine = i;
    let rest = match[2] ?? '';
    const quote = rest[0];
    let value: string;
    if (quote === '"' || quote === "'") {
      // A quoted value may continue on the following lines until its closing quote.
      // Each line is scanned once, carrying a pending escape across the newline, and
      // the lines are joined once at the end: rescanning the growing value is quadratic.
      const scan = new QuoteScan(quote);
      const pieces = [rest];
      let closing = scan.find(rest, 1);
      let before = 0;
      while (closing < 0 && i + 1 < all.length) {
        i++;
        before += pieces[pieces.length - 1]!.length + 1;
        const piece = all[i] ?? '';
        pieces.push(piece);
        scan.newline();
        closing = scan.find(piece, 0);
      }
      if (closing >= 0 && pieces.length > 1) {
        rest = pieces.join('\n');
        closing += before;
      }
      if (closing < 0) {
        errors.push({ message: `Unterminated ${quote === '"' ? 'double' : 'single'} quote in ${key}`, line: startLine + 1 });
        continue;
      }
      const body = rest.slice(1, closing);
      value = quote === "'" ? body : body.replace(/\\(.)/g, (all, c: string) => DOUBLE_QUOTE_ESCAPES[c] ?? all);
    } else {
      const comment = rest.search(/\s#/);
      value = (comment < 0 ? rest : rest.slice(0, comment)).trim();
    }
    values[key] = value;
    lines[key] = startLine + 1;
  }
  return { values, lines, errors };
}

/** Finds a closing quote line by line; a backslash escapes the next character (the newline too) in double quotes. */
class QuoteScan {
  #skip = false;
  constructor(readonly quote: string) {}

  /** Index of the closing quote in `piece` from `from`, or -1. */
  find(piece: string, from: number): number {
    const escapes = this.quote === '"';
    for (let i = from; i < piece.length; i++) {
      if (this.#skip) this.#skip = false;
      else if (escapes && piece[i] === '\\') this.#skip = true;
      else if (piece[i] === this.quote) return i;
    }
    return -1;
  }

  /** The newline between two lines: escaped or not, it never closes the value. */
  newline(): void {
    this.#skip = false;
  }
}
