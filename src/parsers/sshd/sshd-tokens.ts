/**
 * Splits one sshd_config line into words as OpenSSH's argv_split does:
 * whitespace separates, single or double quotes group, a backslash escapes
 * the next character, and `#` at the start of a word ends the line.
 * Returns null when a quote is left open.
 */
export function splitSshdLine(line: string): string[] | null {
  const words: string[] = [];
  // A word is cut out of the line in slices between quotes and escapes, not
  // built one character at a time.
  let word = '';
  let from = 0;
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === '\\' && (line[i + 1] === quote || line[i + 1] === '\\')) {
        word += line.slice(from, i);
        from = i + 1;
        i++;
      } else if (c === quote) {
        word += line.slice(from, i);
        from = i + 1;
        quote = undefined;
      }
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word + line.slice(from, i));
      word = '';
      from = i + 1;
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else if (c === '"' || c === "'") {
      word += line.slice(from, i);
      from = i + 1;
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line.slice(from, i);
      from = i + 1;
      i++;
      inWord = true;
    } else {
      inWord = true;
    }
  }
  if (quote) return null;
  if (inWord) words.push(word + line.slice(from));
  return words;
}
