/** Flow nesting deeper than this is refused before the YAML library sees it. */
export const MAX_YAML_FLOW_DEPTH = 200;

const OPENS_SCALAR = ' \t\n[{,:';

/**
 * Returns the offset of the first `[`/`{` nested deeper than `max` in YAML
 * text, or -1. The `yaml` library exhausts memory on flow collections a few
 * thousand levels deep, so hostile input is stopped by this cheap scan first.
 * Quoted scalars and comments are skipped so brackets inside them don't count.
 */
export function yamlFlowDepthOffset(text: string, max = MAX_YAML_FLOW_DEPTH): number {
  // Character codes rather than one-character strings: this runs over every byte of every YAML file.
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === OPEN_SQUARE || c === OPEN_CURLY) {
      if (++depth > max) return i;
    } else if (c === CLOSE_SQUARE || c === CLOSE_CURLY) {
      if (depth > 0) depth--;
    } else if (c === HASH) {
      const prev = i === 0 ? NEWLINE : text.charCodeAt(i - 1);
      if (prev === SPACE || prev === TAB || prev === NEWLINE) {
        const end = text.indexOf('\n', i);
        i = end < 0 ? text.length : end;
      }
    } else if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
      if (i === 0 || OPENS_SCALAR.includes(text[i - 1]!)) i = quotedEnd(text, i, text[i]!);
    }
  }
  return -1;
}

const OPEN_SQUARE = 0x5b;
const CLOSE_SQUARE = 0x5d;
const OPEN_CURLY = 0x7b;
const CLOSE_CURLY = 0x7d;
const HASH = 0x23;
const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;

function quotedEnd(text: string, start: number, quote: string): number {
  for (let i = start + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') i++;
    else if (text[i] === quote) {
      if (quote === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return text.length;
}

/**
 * Documents with more nodes than this are refused before the `yaml` library
 * parses them. The library builds a full document (source tokens, nodes,
 * ranges) at a few MB/s, and resolving aliases and merge keys in a large
 * anchor-heavy file takes seconds to minutes; this many nodes already take it
 * a few hundred milliseconds. Real config files stay far below it.
 */
export const MAX_YAML_NODES = 50_000;

/**
 * Returns the offset where YAML text exceeds `max` nodes, or -1. Nodes are
 * counted approximately and cheaply: map keys (`:` before a space or line
 * end), block sequence entries (`- `), flow collections and their separators,
 * and aliases; quoted scalars and comments are skipped as in
 * `yamlFlowDepthOffset`.
 */
export function yamlNodeBudgetOffset(text: string, max = MAX_YAML_NODES): number {
  let nodes = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const prev = i === 0 ? '\n' : text[i - 1]!;
    const next = text[i + 1];
    let counts = false;
    if (c === '[' || c === '{') {
      depth++;
      counts = true;
    } else if (c === ']' || c === '}') {
      if (depth > 0) depth--;
    } else if (c === ',') {
      counts = depth > 0;
    } else if (c === ':' || c === '-') {
      counts = next === undefined || next === ' ' || next === '\n' || next === '\t' || next === '\r';
      if (c === '-') counts &&= prev === ' ' || prev === '\n' || prev === '\t';
    } else if (c === '*') {
      counts = prev === ' ' || prev === '\t' || prev === '[' || prev === '{' || prev === ',';
    } else if (c === '#' && (prev === ' ' || prev === '\t' || prev === '\n')) {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if ((c === '"' || c === "'") && OPENS_SCALAR.includes(prev)) {
      i = quotedEnd(text, i, c);
    }
    if (counts && ++nodes > max) return i;
  }
  return -1;
}
