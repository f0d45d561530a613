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
      let closing = findClosingQuote(rest, quote);
      while (closing < 0 && i + 1 < all.length) {
        i++;
        rest += `\n${all[i]}`;
        closing = findClosingQuote(rest, quote);
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

function findClosingQuote(s: string, quote: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\' && quote === '"') i++;
    else if (s[i] === quote) return i;
  }
  return -1;
}
