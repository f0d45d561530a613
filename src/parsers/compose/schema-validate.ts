import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

/** One schema violation, located by JSON pointer into the document. */
export interface SchemaViolation {
  readonly pointer: string;
  readonly message: string;
}

let compiled: ValidateFunction | undefined;

/**
 * The compose-spec validator, compiled once. The schema ships beside this
 * module; its `$schema` names draft-07 by an https id Ajv does not know, so
 * it is removed before compiling.
 */
function composeValidator(): ValidateFunction {
  if (!compiled) {
    const schema = JSON.parse(readFileSync(new URL('./compose-spec.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    delete schema.$schema;
    const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false, strict: false });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Validates a compose document against compose-spec.json. */
export function validateComposeSchema(document: unknown): SchemaViolation[] {
  const validate = composeValidator();
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` "${String(e.params.additionalProperty)}"` : '';
    return { pointer: e.instancePath, message: `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${extra}` };
  });
}
