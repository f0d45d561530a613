/**
 * Mechanical fixes: the text a rule's `fix` turns a file into, for a
 * dry-run diff (a change request once those exist). Line edits, so the rest
 * of the file — comments, order, spacing — stays as it was. Null when the
 * file gives no place for the fix (an nginx file without an http block).
 */
import { canonicalSshdKey } from './sshd-effective.js';
import type { RuleFix } from './rule.js';

const firstWord = (line: string): string => line.trim().split(/[\s=]+/)[0]?.toLowerCase() ?? '';

/**
 * sshd: every line setting the keyword (or an alias of it), in the global
 * section and in Match blocks, gets the value; unless a global line already
 * came before any Include, the setting is also put first, where it wins
 * over drop-ins and later lines.
 */
function sshdSet(text: string, keyword: string, value: string): string {
  const key = keyword.toLowerCase();
  const lines = text.split('\n');
  let winsAlready = false;
  let seenInclude = false;
  let inMatch = false;
  for (let i = 0; i < lines.length; i++) {
    const word = firstWord(lines[i]!);
    if (word === '' || word.startsWith('#')) continue;
    if (word === 'include') seenInclude = true;
    if (word === 'match') inMatch = true;
    if (canonicalSshdKey(word) !== key) continue;
    if (!inMatch && !seenInclude) winsAlready = true;
    lines[i] = `${lines[i]!.match(/^\s*/)?.[0] ?? ''}${keyword} ${value}`;
  }
  if (!winsAlready) {
    const at = lines.findIndex((l) => firstWord(l) !== '' && !firstWord(l).startsWith('#'));
    lines.splice(at < 0 ? lines.length : at, 0, `${keyword} ${value}`);
  }
  return lines.join('\n');
}

function nginxSet(text: string, directive: string, value: string): string | null {
  const existing = new RegExp(`^(\\s*)${directive}\\s+[^;]*;`, 'm');
  if (existing.test(text)) return text.replace(new RegExp(existing.source, 'gm'), `$1${directive} ${value};`);
  const http = text.match(/^(\s*)http\s*\{[^\n]*\n/m);
  if (!http || http.index === undefined) return null;
  const end = http.index + http[0].length;
  return `${text.slice(0, end)}${http[1]}    ${directive} ${value};\n${text.slice(end)}`;
}

function composeDrop(text: string, key: string): string {
  const line = new RegExp(`^\\s*${key}:\\s*("?true"?|yes)\\s*(#.*)?\\n`, 'gm');
  return text.replace(line, '');
}

export function applyFix(fix: RuleFix, text: string): string | null {
  if (fix.kind === 'sshd-set') return sshdSet(text, fix.keyword, fix.value);
  if (fix.kind === 'nginx-set') return nginxSet(text, fix.directive, fix.value);
  return composeDrop(text, fix.key);
}
