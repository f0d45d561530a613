/**
 * Template variables: `--var k=v` pairs and `--vars FILE.json` merged into
 * one object, and its check against the template's JSON Schema (draft-07
 * or 2020-12 subset Ajv knows) with every error naming the variable it is
 * about. Pure; the check runs in the render worker, since a hostile
 * `pattern` is as costly as a hostile template.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ConfwatchError } from '../errors.js';

/** A variable name as `--var` accepts it: a dotted path of identifiers (`upstream.port`). */
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Names a template cannot use for a variable or a path segment: they reach prototypes. */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `k=v` pairs into an object, over `base` (the `--vars` file). A value is
 * JSON when it parses as a number, boolean, null, array or object
 * (`port=8080`, `tags=["a"]`), else the text as given; dotted names nest.
 * CW_ERR_USAGE for a pair without `=` or a malformed name.
 */
export function mergeVariables(base: Readonly<Record<string, unknown>>, pairs: readonly string[]): Record<string, unknown> {
  const out = plainCopy(base, 'the variables file') as Record<string, unknown>;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !VAR_NAME.test(name)) throw new ConfwatchError('CW_ERR_USAGE', `--var "${pair.slice(0, 80)}" is not NAME=VALUE (NAME: letters, digits, _ and dots)`);
    const segments = name.split('.');
    const bad = segments.find((s) => FORBIDDEN.has(s));
    if (bad) throw new ConfwatchError('CW_ERR_USAGE', `--var ${name}: "${bad}" cannot be a variable name`);
    let at = out;
    for (const segment of segments.slice(0, -1)) {
      const next = at[segment];
      if (typeof next !== 'object' || next === null || Array.isArray(next)) at[segment] = {};
      at = at[segment] as Record<string, unknown>;
    }
    at[segments.at(-1)!] = typedValue(pair.slice(eq + 1));
  }
  return out;
}

function typedValue(raw: string): unknown {
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)$/.test(raw) || /^[[{]/.test(raw)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return raw;
    }
    return plainCopy(parsed, 'a --var value');
  }
  return raw;
}

/**
 * A deep copy made only of JSON values, with keys that reach prototypes
 * refused: what a render sees is data, never an object with behaviour.
 */
export function plainCopy(value: unknown, what: string, depth = 0): unknown {
  if (depth > 32) throw new ConfwatchError('CW_ERR_TEMPLATE_VARS', `${what} nests deeper than 32 levels`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConfwatchError('CW_ERR_TEMPLATE_VARS', `${what} holds a number JSON cannot carry`);
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => plainCopy(v, what, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN.has(k)) throw new ConfwatchError('CW_ERR_TEMPLATE_VARS', `variable "${k}" cannot be used: the name reaches object prototypes`);
      out[k] = plainCopy(v, what, depth + 1);
    }
    return out;
  }
  throw new ConfwatchError('CW_ERR_TEMPLATE_VARS', `${what} holds a ${typeof value}, which is not JSON data`);
}

/** Compiles a variables schema; a message naming what is wrong with it when it is not one. */
export function compileVariablesSchema(schema: unknown): { readonly validate: ValidateFunction } | { readonly error: string } {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) return { error: 'the variables schema must be a JSON object (a JSON Schema)' };
  try {
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true, useDefaults: true });
    const copy = structuredClone(schema) as Record<string, unknown>;
    // Ajv knows draft-07 by its id; other drafts' ids would fail the compile for no reason of the user's
    delete copy.$schema;
    return { validate: ajv.compile(copy) };
  } catch (error) {
    return { error: `the variables schema is not a valid JSON Schema: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}

/** The variable an Ajv error is about, as a dotted path (`upstream.port`, `tags[1]`). */
function variableOf(error: ErrorObject): string {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  return segments.reduce((path, s) => (/^\d+$/.test(s) ? `${path}[${s}]` : path ? `${path}.${s}` : s), '');
}

/** One line per problem, each naming its variable: `variable "auth" must be one of: none, authelia`. */
export function variableErrors(validate: ValidateFunction, variables: unknown): string[] {
  if (validate(variables)) return [];
  return (validate.errors ?? []).map((e) => {
    const name = variableOf(e) || '(the variables)';
    if (e.keyword === 'required') return `variable "${name}" is required`;
    if (e.keyword === 'additionalProperties') return `variable "${name}" is not declared by the template's schema`;
    if (e.keyword === 'enum') return `variable "${name}" must be one of: ${(e.params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}`;
    return `variable "${name}" ${e.message ?? 'is invalid'}`;
  });
}
