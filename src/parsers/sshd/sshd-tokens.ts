/**
 * Splits one sshd_config line into words as OpenSSH's argv_split does:
 * whitespace separates, single or double quotes group, a backslash escapes
 * the next character, and `#` at the start of a word ends the line.
 * Returns null when a quote is left open.
 */
export function splitSshdLine(line: string): string[] | null {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && (line[i + 1] === quote || line[i + 1] === '\\')) word += line[++i];
      else if (c === quote) quote = undefined;
      else word += c;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return null;
  if (inWord) words.push(word);
  return words;
}
