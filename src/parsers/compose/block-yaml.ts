/**
 * A reader for the plain block-style YAML that nearly every compose file is
 * written in: block maps and sequences, single-line plain and quoted scalars,
 * one-line flow sequences of scalars, `{}`/`[]`, comments. The `yaml`
 * library builds a full document with source tokens for every file and runs
 * at a few MB/s; this reader gives the same value and the same node lines at
 * a multiple of that. Anything outside the subset (anchors, tags, merge keys,
 * block or multi-line scalars, flow maps, escapes, tabs, odd keys, duplicate
 * keys, anything that may be an error) returns undefined, and the caller hands
 * the text to the `yaml` library, so results never differ between the two.
 */

/** A node of the read tree: its 1-based line and, for collections, its children. */
export interface BlockNode {
  readonly line: number;
  /** Key → value node, for a map. */
  readonly map?: ReadonlyMap<string, BlockNode>;
  /** Item nodes, for a sequence. */
  readonly seq?: readonly BlockNode[];
}

/** The value of a block YAML document (as the `yaml` library's `toJS` gives it) and its node tree. */
export interface BlockYaml {
  readonly value: Record<string, unknown>;
  readonly root: BlockNode;
}

/** Thrown inside the reader when the text leaves the subset; never escapes `readBlockYaml`. */
class OutsideSubset extends Error {}

const outside = (): never => {
  throw new OutsideSubset();
};

/** Characters that make the `yaml` library read a line as something other than a plain scalar, or that it may treat specially. */
const UNSAFE_TEXT = /[\t\r\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
/** Characters that may not start a plain scalar here (YAML indicators). */
const INDICATOR_START = new Set([...'-?:,[]{}#&*!|>\'"%@`']);
/** Characters a plain key may not contain, so keys stay simple strings. */
const UNSAFE_KEY = /[,[\]{}#&*!|>'"%@`\\]/;
/** Characters a plain scalar inside a flow sequence may not contain. */
const UNSAFE_FLOW_PLAIN = /[:#[\]{}'"]/;
/** The `yaml` library refuses implicit keys longer than 1024 characters; such lines go to it. */
const MAX_LINE = 1000;

/** Drops trailing spaces only: YAML does not treat other Unicode spaces as white space. */
function trimSpaces(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 32) end--;
  return end === text.length ? text : text.slice(0, end);
}

/** Core-schema resolution of a plain scalar, in the order and with the tests the `yaml` library uses. */
export function resolvePlain(source: string): unknown {
  const first = source.charCodeAt(0);
  // Only these first characters can start a null, bool, int or float.
  const maybeSpecial =
    source === '' ||
    (first >= 48 && first <= 57) ||
    source[0] === '-' ||
    source[0] === '+' ||
    source[0] === '.' ||
    source[0] === '~' ||
    'nNtTfF'.includes(source[0]!);
  if (!maybeSpecial) return source;
  // A letter or `~` can only start a null or bool word, and those are 1, 4 or 5 characters long;
  // keys and values such as `networks` or `traefik.enable` skip the tests below.
  if (first > 57 && source.length !== 4 && source.length !== 5 && source !== '~') return source;
  if (/^(?:~|[Nn]ull|NULL)?$/.test(source)) return null;
  if (/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(source)) return source[0] === 't' || source[0] === 'T';
  if (/^0o[0-7]+$/.test(source)) return Number.parseInt(source.substring(2), 8);
  if (/^[-+]?[0-9]+$/.test(source)) return Number.parseInt(source, 10);
  if (/^0x[0-9a-fA-F]+$/.test(source)) return Number.parseInt(source.substring(2), 16);
  if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(source)) {
    return source.slice(-3).toLowerCase() === 'nan' ? Number.NaN : source[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(source)) return Number.parseFloat(source);
  if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(source)) return Number.parseFloat(source);
  return source;
}

interface Line {
  /** 1-based line number. */
  readonly no: number;
  /** Column of the first content character. */
  readonly indent: number;
  /** The line from `indent` on. */
  readonly text: string;
}

interface Read {
  readonly value: unknown;
  readonly node: BlockNode;
}

/** A quoted scalar at `start` of `text`: its value and the index after the closing quote. */
function readQuoted(text: string, start: number): { value: string; end: number } {
  const quote = text[start]!;
  if (quote === "'") {
    let value = '';
    let from = start + 1;
    for (;;) {
      const close = text.indexOf("'", from);
      if (close < 0) return outside();
      value += text.slice(from, close);
      if (text[close + 1] !== "'") return { value, end: close + 1 };
      value += "'";
      from = close + 2;
    }
  }
  const close = text.indexOf('"', start + 1);
  if (close < 0) return outside();
  const value = text.slice(start + 1, close);
  if (value.includes('\\')) return outside();
  return { value, end: close + 1 };
}

/** True when only spaces, or spaces then a comment, follow `from`. */
function restIsBlank(text: string, from: number): boolean {
  let i = from;
  while (text[i] === ' ') i++;
  return i === text.length || (text[i] === '#' && i > from);
}

/** An inline value (after `key: ` or `- `): a scalar, `{}`, `[]` or a one-line flow sequence of scalars. */
function readInline(text: string, no: number): Read {
  const c = text[0]!;
  if (c === "'" || c === '"') {
    const { value, end } = readQuoted(text, 0);
    if (!restIsBlank(text, end)) outside();
    return { value, node: { line: no } };
  }
  if (c === '{') {
    let i = 1;
    while (text[i] === ' ') i++;
    if (text[i] !== '}' || !restIsBlank(text, i + 1)) outside();
    return { value: {}, node: { line: no, map: new Map() } };
  }
  if (c === '[') return readFlowSeq(text, no);
  if (INDICATOR_START.has(c) && !(c === '-' && text.length > 1 && text[1] !== ' ')) outside();
  let end = text.length;
  for (let i = 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '#' && text[i - 1] === ' ') {
      end = i;
      break;
    }
    if (ch === ':' && (i + 1 === text.length || text[i + 1] === ' ')) outside();
  }
  return { value: resolvePlain(trimSpaces(text.slice(0, end))), node: { line: no } };
}

function readFlowSeq(text: string, no: number): Read {
  const value: unknown[] = [];
  const seq: BlockNode[] = [];
  let i = 1;
  while (text[i] === ' ') i++;
  if (text[i] === ']') {
    if (!restIsBlank(text, i + 1)) outside();
    return { value, node: { line: no, seq } };
  }
  for (;;) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const quoted = readQuoted(text, i);
      value.push(quoted.value);
      i = quoted.end;
    } else {
      let end = i;
      while (end < text.length && text[end] !== ',' && text[end] !== ']') end++;
      const plain = trimSpaces(text.slice(i, end));
      if (plain === '' || (INDICATOR_START.has(plain[0]!) && !(plain[0] === '-' && plain.length > 1 && plain[1] !== ' ')) || UNSAFE_FLOW_PLAIN.test(plain)) outside();
      value.push(resolvePlain(plain));
      i = end;
    }
    seq.push({ line: no });
    while (text[i] === ' ') i++;
    if (text[i] === ']') break;
    if (text[i] !== ',') outside();
    i++;
    while (text[i] === ' ') i++;
    if (text[i] === ']' || i >= text.length) outside();
  }
  if (!restIsBlank(text, i + 1)) outside();
  return { value, node: { line: no, seq } };
}

/** The key of a key line and where its value starts; undefined when the line is not a simple `key:` line. */
function readKey(text: string): { key: string; rest: number } | undefined {
  let key: string;
  let colon: number;
  if (text[0] === '"' || text[0] === "'") {
    const quoted = readQuoted(text, 0);
    colon = quoted.end;
    while (text[colon] === ' ') colon++;
    if (text[colon] !== ':') return undefined;
    key = quoted.value;
  } else {
    colon = -1;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === ':' && (i + 1 === text.length || text[i + 1] === ' ')) {
        colon = i;
        break;
      }
      if (text[i] === '#' && i > 0 && text[i - 1] === ' ') return undefined;
    }
    if (colon <= 0) return undefined;
    const source = trimSpaces(text.slice(0, colon));
    if (INDICATOR_START.has(source[0]!) || UNSAFE_KEY.test(source) || typeof resolvePlain(source) !== 'string') outside();
    key = source;
  }
  if (text[colon + 1] !== undefined && text[colon + 1] !== ' ') return undefined;
  if (key === '<<' || key === '__proto__') outside();
  return { key, rest: colon + 1 };
}

const isSeqLine = (text: string): boolean => text[0] === '-' && (text.length === 1 || text[1] === ' ');

class BlockReader {
  #i = 0;
  constructor(readonly lines: Line[]) {}

  #peek(): Line | undefined {
    return this.lines[this.#i];
  }

  read(): BlockYaml {
    const first = this.#peek();
    if (first?.indent !== 0 || isSeqLine(first.text)) outside();
    const { value, node } = this.#map(0);
    if (this.#i < this.lines.length) outside();
    return { value: value as Record<string, unknown>, root: node };
  }

  /** A block node whose first line is the next line, at its indent. */
  #block(): Read {
    const line = this.#peek()!;
    return isSeqLine(line.text) ? this.#seq(line.indent) : this.#map(line.indent);
  }

  #map(indent: number): Read {
    const value: Record<string, unknown> = {};
    const map = new Map<string, BlockNode>();
    const line = this.#peek()!.no;
    for (let next = this.#peek(); next && next.indent === indent; next = this.#peek()) {
      if (isSeqLine(next.text)) outside();
      const key = readKey(next.text) ?? outside();
      if (map.has(key.key)) outside();
      this.#i++;
      const item = this.#value(next, key.rest, indent);
      value[key.key] = item.value;
      map.set(key.key, item.node);
    }
    const after = this.#peek();
    if (after && after.indent > indent) outside();
    return { value, node: { line, map } };
  }

  /** The value of a map entry at `indent` whose key line is `line`, its value text starting at `from`. */
  #value(line: Line, from: number, indent: number): Read {
    let start = from;
    while (line.text[start] === ' ') start++;
    if (start < line.text.length && line.text[start] !== '#') {
      const inline = readInline(line.text.slice(start), line.no);
      const after = this.#peek();
      if (after && after.indent > indent) outside();
      return inline;
    }
    const next = this.#peek();
    if (next && next.indent > indent) return this.#block();
    if (next && next.indent === indent && isSeqLine(next.text)) return this.#seq(indent);
    return { value: null, node: { line: line.no } };
  }

  #seq(indent: number): Read {
    const value: unknown[] = [];
    const seq: BlockNode[] = [];
    const line = this.#peek()!.no;
    for (let next = this.#peek(); next && next.indent === indent && isSeqLine(next.text); next = this.#peek()) {
      let start = 1;
      while (next.text[start] === ' ') start++;
      const itemText = next.text.slice(start);
      if (itemText === '' || itemText[0] === '#' || isSeqLine(itemText)) outside();
      let item: Read;
      if (readKey(itemText)) {
        // `- key: value`: a map whose indent is the column of its first key.
        this.lines[this.#i] = { no: next.no, indent: indent + start, text: itemText };
        item = this.#map(indent + start);
      } else {
        this.#i++;
        item = readInline(itemText, next.no);
        const after = this.#peek();
        if (after && after.indent > indent) outside();
      }
      value.push(item.value);
      seq.push(item.node);
    }
    const after = this.#peek();
    if (after && after.indent > indent) outside();
    return { value, node: { line, seq } };
  }
}

/**
 * Reads `text` when it is within the block subset; undefined otherwise (the
 * caller then uses the `yaml` library, which gives the same result for every
 * text this reader accepts).
 */
export function readBlockYaml(text: string): BlockYaml | undefined {
  if (UNSAFE_TEXT.test(text)) return undefined;
  const lines: Line[] = [];
  let no = 0;
  for (let start = 0; start <= text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    no++;
    if (end - start > MAX_LINE) return undefined;
    let indent = start;
    while (text.charCodeAt(indent) === 32) indent++;
    if (indent < end && text[indent] !== '#') {
      const content = text.slice(indent, end);
      // Document markers and directives belong to the full parser.
      if (indent === start && (content.startsWith('---') || content.startsWith('...') || content[0] === '%')) return undefined;
      lines.push({ no, indent: indent - start, text: trimSpaces(content) });
    }
    start = end + 1;
  }
  try {
    return new BlockReader(lines).read();
  } catch (e) {
    if (e instanceof OutsideSubset) return undefined;
    throw e;
  }
}

/** Follows a JSON pointer through the tree; stops at the deepest node it can reach (as the YAML path does). */
export function blockNodeAtPointer(root: BlockNode, pointer: string): BlockNode {
  let node = root;
  for (const segment of pointer.split('/').slice(1)) {
    const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    const next = node.map ? node.map.get(key) : node.seq ? node.seq[Number(key)] : undefined;
    if (!next) break;
    node = next;
  }
  return node;
}
