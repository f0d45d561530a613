/** Result of interpolating one string. */
export interface Interpolated {
  readonly value: string;
  /** Set when a `${VAR:?message}` was unset or the template is malformed. */
  readonly error?: string;
  /** Variables used without a value or default (compose substitutes ""). */
  readonly unset: readonly string[];
}

const NAME = /^[_A-Za-z][_A-Za-z0-9]*/;
const OPERATORS = [':-', ':?', ':+', '-', '?', '+'] as const;
type Operator = (typeof OPERATORS)[number];

class TemplateError extends Error {}

/**
 * Compose variable interpolation: `$VAR`, `${VAR}`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+alt}`, `${VAR+alt}`,
 * with interpolation nested inside defaults, and `$$` for a literal `$`.
 * The colon forms treat an empty value as unset.
 */
export function interpolate(input: string, vars: Readonly<Record<string, string>>): Interpolated {
  if (!input.includes('$')) return { value: input, unset: [] };
  const unset: string[] = [];
  try {
    return { value: expand(input, vars, unset), unset };
  } catch (e) {
    return { value: input, unset, error: (e as Error).message };
  }
}

function expand(input: string, vars: Readonly<Record<string, string>>, unset: string[]): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    if (dollar < 0) return out + input.slice(i);
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = matchingBrace(input, dollar + 2);
      out += substitute(input.slice(dollar + 2, close), vars, unset);
      i = close + 1;
    } else {
      const name = NAME.exec(input.slice(dollar + 1))?.[0];
      if (!name) throw new TemplateError(`Invalid template: "${input}"`);
      out += lookup(name, vars, unset);
      i = dollar + 1 + name.length;
    }
  }
  return out;
}

function matchingBrace(input: string, from: number): number {
  let depth = 1;
  for (let i = from; i < input.length; i++) {
    if (input[i] === '$' && input[i + 1] === '{') {
      depth++;
      i++;
    } else if (input[i] === '}' && --depth === 0) return i;
  }
  throw new TemplateError(`Invalid template: unterminated "\${" in "${input}"`);
}

function lookup(name: string, vars: Readonly<Record<string, string>>, unset: string[]): string {
  const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
  if (value === undefined) unset.push(name);
  return value ?? '';
}

function substitute(body: string, vars: Readonly<Record<string, string>>, unset: string[]): string {
  const name = NAME.exec(body)?.[0];
  if (!name) throw new TemplateError(`Invalid template: "\${${body}}"`);
  const rest = body.slice(name.length);
  if (rest === '') return lookup(name, vars, unset);
  const operator = OPERATORS.find((op) => rest.startsWith(op)) as Operator | undefined;
  if (!operator) throw new TemplateError(`Invalid template: "\${${body}}"`);
  const argument = () => expand(rest.slice(operator.length), vars, unset);
  const raw = Object.hasOwn(vars, name) ? vars[name] : undefined;
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
