/**
 * Finds the offset of the first JSON syntax error in `text`. `JSON.parse`
 * on Node 20 no longer says where it failed, and users need a line number;
 * this scanner only checks the grammar (iteratively, so depth cannot
 * overflow the stack) and returns the offset where it stops making sense.
 */
export function jsonErrorOffset(text: string): number {
  const stack: ('{' | '[')[] = [];
  let i = skipSpace(text, 0);
  // What the scanner expects next: a value, an object key, or the separator after one.
  let expect: 'value' | 'key' | 'after-value' | 'colon' = 'value';
  let allowClose = false;
  while (i < text.length) {
    const c = text[i]!;
    if (expect === 'value' || expect === 'key') {
      if (allowClose && (c === '}' || c === ']')) {
        if (stack.pop() !== (c === '}' ? '{' : '[')) return i;
        expect = 'after-value';
        allowClose = false;
        i++;
      } else if (c === '"') {
        const end = stringEnd(text, i);
        if (end < 0) return i;
        i = end;
        expect = expect === 'key' ? 'colon' : 'after-value';
        allowClose = false;
      } else if (expect === 'key') {
        return i;
      } else if (c === '{' || c === '[') {
        stack.push(c);
        expect = c === '{' ? 'key' : 'value';
        allowClose = true;
        i++;
      } else {
        const end = literalEnd(text, i);
        if (end < 0) return i;
        i = end;
        expect = 'after-value';
      }
    } else if (expect === 'colon') {
      if (c !== ':') return i;
      expect = 'value';
      i++;
    } else {
      const top = stack[stack.length - 1];
      if (top === undefined) return i;
      if (c === ',') expect = top === '{' ? 'key' : 'value';
      else if ((c === '}' && top === '{') || (c === ']' && top === '[')) stack.pop();
      else return i;
      i++;
    }
    i = skipSpace(text, i);
  }
  return text.length;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') i++;
    else if (c === '"') return i + 1;
    else if (c < ' ') return -1;
  }
  return -1;
}

const LITERAL = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;

function literalEnd(text: string, start: number): number {
  LITERAL.lastIndex = start;
  return LITERAL.test(text) ? LITERAL.lastIndex : -1;
}
