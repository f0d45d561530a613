/**
 * Reads decoded nginx config text one "unit" at a time, the way crossplane
 * does: a backslash and the character after it form one unit (so `\"` never
 * counts as a quote), and a unit ending in a newline moves to the next line
 * before it is reported. A backslash at the very end of the text is dropped.
 */
export class UnitReader {
  readonly #text: string;
  #pos = 0;
  #line = 1;
  #pushedUnit: string | undefined;
  #pushedLine = 0;

  /** The unit read by the last successful `advance()`. */
  unit = '';
  /** The line of `unit` (a newline unit already belongs to the next line). */
  line = 1;

  /** Offset in the text just after `unit` (meaningless while a unit is pushed back). */
  get position(): number {
    return this.#pos;
  }

  constructor(text: string) {
    this.#text = text;
  }

  /** Reads the next unit into `unit`/`line`; false at the end of the text. */
  advance(): boolean {
    if (this.#pushedUnit !== undefined) {
      this.unit = this.#pushedUnit;
      this.line = this.#pushedLine;
      this.#pushedUnit = undefined;
      return true;
    }
    const text = this.#text;
    const pos = this.#pos;
    if (pos >= text.length) return false;
    let unit: string;
    if (text.charCodeAt(pos) === BACKSLASH) {
      if (pos + 1 >= text.length) {
        this.#pos = text.length;
        return false;
      }
      unit = text.slice(pos, pos + 2);
      this.#pos = pos + 2;
    } else {
      unit = text[pos]!;
      this.#pos = pos + 1;
    }
    if (unit.charCodeAt(unit.length - 1) === NEWLINE) this.#line++;
    this.unit = unit;
    this.line = this.#line;
    return true;
  }

  /** Lines counted so far, including the newline ending the last unit read. */
  get lineCount(): number {
    return this.#line;
  }

  /** Goes on reading at `position`, with `line` lines counted so far. */
  seek(position: number, line: number): void {
    this.#pos = position;
    this.#line = line;
    this.#pushedUnit = undefined;
  }

  /** Makes the next `advance()` return this unit again (one slot). */
  pushBack(unit: string, line: number): void {
    this.#pushedUnit = unit;
    this.#pushedLine = line;
  }
}

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * Python's `str.isspace()` for one unit: Unicode whitespace, including the
 * ASCII separators 0x1c–0x1f. Escaped units (two characters) are never space.
 */
export function isSpaceUnit(unit: string): boolean {
  return unit.length === 1 && isSpaceCode(unit.charCodeAt(0));
}

/** Python's `str.isspace()` for one UTF-16 code unit. */
export function isSpaceCode(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}
