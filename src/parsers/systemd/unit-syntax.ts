import type { ParseIssue } from '../parser.js';
import { splitLines } from '../generic/decode-text.js';

/** One `Key=Value` line of a unit file (after joining continuations). */
export interface UnitAssignment {
  readonly kind: 'assignment';
  readonly section: string;
  readonly key: string;
  /** The value with surrounding whitespace removed; `''` resets a list. */
  readonly value: string;
  /** 1-based line where the assignment starts. */
  readonly line: number;
  /** The file it came from, when it is a drop-in. */
  readonly file?: string;
}

/** The assignments of one unit file or drop-in, in file order. */
export interface UnitSyntax {
  /** Section names in the order they first appear. */
  readonly sections: readonly string[];
  readonly assignments: readonly UnitAssignment[];
  readonly errors: readonly ParseIssue[];
}

const isComment = (line: string) => line.startsWith('#') || line.startsWith(';');

/**
 * Reads systemd.syntax(7): `[Section]` headers, `Key=Value` assignments,
 * `#`/`;` comment lines, and a trailing backslash joining the next line (with
 * a space; comment lines inside such a continuation are skipped).
 */
export function parseUnitSyntax(text: string, file?: string): UnitSyntax {
  const lines = splitLines(text);
  const sections: string[] = [];
  const seenSections = new Set<string>();
  const assignments: UnitAssignment[] = [];
  const errors: ParseIssue[] = [];
  const issue = (message: string, line: number): ParseIssue => (file ? { message, line, file } : { message, line });
  let section: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    const first = lines[i]!.trim();
    if (first === '' || isComment(first)) continue;
    // Continued lines are collected and joined once: appending each to a growing
    // string and testing its end makes long continuations quadratic.
    const parts = [first];
    while (parts[parts.length - 1]!.endsWith('\\') && i + 1 < lines.length) {
      i++;
      const next = lines[i]!.trim();
      // The backslash stays: the continuation goes on past the comment line.
      if (isComment(next)) continue;
      parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, -1);
      parts.push(next);
    }
    let line = parts.length === 1 ? first : parts.join(' ');
    if (line.endsWith('\\')) line = line.slice(0, -1).trimEnd();
    if (line.startsWith('[')) {
      if (!line.endsWith(']') || line.length < 3) {
        errors.push(issue(`Invalid section header "${line.slice(0, 60)}"`, startLine));
        section = undefined;
        continue;
      }
      section = line.slice(1, -1);
      if (!seenSections.has(section)) {
        seenSections.add(section);
        sections.push(section);
      }
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) {
      errors.push(issue(`Missing '=' in "${line.slice(0, 60)}"`, startLine));
      continue;
    }
    if (section === undefined) {
      errors.push(issue('Assignment outside of any section', startLine));
      continue;
    }
    const assignment = { kind: 'assignment', section, key: line.slice(0, eq).trim(), value: line.slice(eq + 1).trim(), line: startLine } as const;
    assignments.push(file ? { ...assignment, file } : assignment);
  }
  return { sections, assignments, errors };
}
