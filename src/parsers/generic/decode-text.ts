import type { ParseIssue } from '../parser.js';

/** Text decoded from a file's bytes, with a warning when they were not valid UTF-8. */
export interface DecodedText {
  /** The text; invalid sequences are replaced by U+FFFD. */
  readonly text: string;
  /** One warning naming the first line holding invalid UTF-8, or none. */
  readonly warnings: readonly ParseIssue[];
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });

/**
 * Decodes bytes as UTF-8 without ever throwing. Config files are bytes, not
 * strings: a file with a stray Latin-1 byte is still parsed, and the warning
 * tells the user which line the tools on the host may read differently.
 */
export function decodeText(bytes: Buffer): DecodedText {
  try {
    return { text: strict.decode(bytes), warnings: [] };
  } catch {
    const text = lenient.decode(bytes);
    const bad = text.indexOf('\uFFFD');
    const line = bad < 0 ? 1 : lineAtOffset(text, bad);
    return { text, warnings: [{ message: 'File is not valid UTF-8; invalid bytes were replaced', line }] };
  }
}

/** 1-based line number of a character offset in `text`. */
export function lineAtOffset(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = text.indexOf('\n'); i >= 0 && i < end; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Splits text into lines, accepting `\n`, `\r\n` and a missing final newline. */
export function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}
