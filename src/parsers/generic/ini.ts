import type { ParseIssue } from '../parser.js';
import { splitLines } from './decode-text.js';

/** An INI file: section → key → value; keys before any section are under `""`. */
export interface IniResult {
  readonly sections: Record<string, Record<string, string>>;
  readonly errors: readonly ParseIssue[];
}

const SECTION = /^\[([^\]]*)\]$/;
const ASSIGNMENT = /^([^=:]+?)\s*[=:]\s*(.*)$/;

/** Parses INI: `[section]`, `key = value` or `key: value`, `;` and `#` comments. */
export function parseIni(text: string): IniResult {
  const sections: Record<string, Record<string, string>> = Object.create(null);
  const errors: ParseIssue[] = [];
  let current = '';
  splitLines(text).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const section = SECTION.exec(line);
    if (section) {
      current = section[1]!.trim();
      sections[current] ??= Object.create(null);
      return;
    }
    const assignment = ASSIGNMENT.exec(line);
    if (!assignment) {
      errors.push({ message: `Expected key = value or [section], got "${line.slice(0, 40)}"`, line: index + 1 });
      return;
    }
    sections[current] ??= Object.create(null);
    sections[current]![assignment[1]!] = assignment[2]!;
  });
  return { sections, errors };
}
