/** Result of interpolating one string. */
export interface Interpolated {
  readonly value: string;
  /** Set when a `${VAR:?message}` was unset or the template is malformed. */
  readonly error?: string;
  /** Variables used without a value or default (compose substitutes ""). */
  readonly unset: readonly string[];
}

/** A variable name at `lastIndex` (sticky: no copy of the rest of the input). */
const NAME_AT = /[_A-Za-z][_A-Za-z0-9]*/y;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;
type Operator = (typeof OPERATORS)[number];

/**
 * Nesting beyond this is refused: each level is a recursion, and a hostile
 * value nested a hundred thousand deep would otherwise end in a stack overflow.
 */
const MAX_NESTING = 1_000;

class TemplateError extends Error {}

/**
 * Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}`,
 * with interpolation nested inside defaults, and `$$` for a literal `$`.
 * The colon forms treat an empty value as unset.
 *
 * Linear in the input: the closing brace of every `${` is found in one pass
 * up front, and nested defaults are expanded as ranges of the input rather
 * than rescanned copies (rescanning cost O(length × depth): seconds for a
 * 300 KB value).
 */
export function interpolate(input: string, vars: Readonly<Record<string, string>>): Interpolated {
  if (!input.includes('$')) return { value: input, unset: [] };
  const unset: string[] = [];
  try {
    const template: Template = { input, closing: closingBraces(input), vars, unset, depth: 0 };
    return { value: expand(template, 0, input.length), unset };
  } catch (e) {
    return { value: input, unset, error: (e as Error).message };
  }
}

interface Template {
  readonly input: string;
  /** Position of each `${`'s `$` → position of its closing `}`. */
  readonly closing: ReadonlyMap<number, number>;
  readonly vars: Readonly<Record<string, string>>;
  readonly unset: string[];
  /** `${` levels open around the range being expanded. */
  depth: number;
}

/**
 * Pairs every `${` with its `}` by depth, as a scan from any one `${` would:
 * a `${` opens wherever `$` is followed by `{`, every `}` closes the latest.
 */
function closingBraces(input: string): Map<number, number> {
  const closing = new Map<number, number>();
  const open: number[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] === '$' && input[i + 1] === '{') {
      open.push(i);
      i++;
    } else if (input[i] === '}' && open.length > 0) closing.set(open.pop()!, i);
  }
  return closing;
}

function expand(t: Template, from: number, to: number): string {
  const { input } = t;
  let out = '';
  let i = from;
  while (i < to) {
    const dollar = input.indexOf('$', i);
    if (dollar < 0 || dollar >= to) return out + input.slice(i, to);
    out += input.slice(i, dollar);
    const next = dollar + 1 < to ? input[dollar + 1] : undefined;
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = t.closing.get(dollar);
      if (close === undefined || close >= to) throw new TemplateError(`Invalid template: unterminated "\${" in "${input.slice(from, to)}"`);
      out += substitute(t, dollar + 2, close);
      i = close + 1;
    } else {
      NAME_AT.lastIndex = dollar + 1;
      const name = NAME_AT.exec(input)?.[0];
      if (!name || dollar + 1 + name.length > to) throw new TemplateError(`Invalid template: "${input.slice(from, to)}"`);
      out += lookup(name, t);
      i = dollar + 1 + name.length;
    }
  }
  return out;
}

function lookup(name: string, t: Template): string {
  const value = Object.hasOwn(t.vars, name) ? t.vars[name] : undefined;
  if (value === undefined) t.unset.push(name);
  return value ?? '';
}

/** The `${…}` whose body is input[from, to). */
function substitute(t: Template, from: number, to: number): string {
  const { input } = t;
  NAME_AT.lastIndex = from;
  const name = NAME_AT.exec(input)?.[0];
  const invalid = () => new TemplateError(`Invalid template: "\${${input.slice(from, to)}}"`);
  if (!name || from + name.length > to) throw invalid();
  const rest = from + name.length;
  if (rest === to) return lookup(name, t);
  const operator = OPERATORS.find((op) => input.startsWith(op, rest) && rest + op.length <= to) as Operator | undefined;
  if (!operator) throw invalid();
  const argument = () => {
    if (++t.depth > MAX_NESTING) throw new TemplateError(`Invalid template: nested deeper than ${MAX_NESTING} levels`);
    const value = expand(t, rest + operator.length, to);
    t.depth--;
    return value;
  };
  const raw = Object.hasOwn(t.vars, name) ? t.vars[name] : undefined;
  const isSet = operator.startsWith(':') ? raw !== undefined && raw !== '' : raw !== undefined;
  switch (operator) {
    case ':-':
    case '-':
      return isSet ? raw! : argument();
    case ':+':
    case '+':
      return isSet ? argument() : '';
    default:
      if (isSet) return raw!;
      throw new TemplateError(`Required variable ${name} is missing a value: ${argument() || name}`);
  }
}
