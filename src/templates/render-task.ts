/**
 * What a template render does in its worker, start to end: check the
 * variables against the template's schema, render in the sandbox, parse
 * the output with the project's parser for the config type. Plain data in
 * and out (it crosses `postMessage`); never throws for bad input.
 */
import type { ConfigType } from '../parsers/parser.js';
import { getParser } from '../parsers/registry.js';
import { checkTemplate, renderSandboxed, type SandboxLimits } from './liquid-sandbox.js';
import { compileVariablesSchema, variableErrors } from './variables.js';

export interface TemplateTask {
  readonly kind: 'template';
  readonly body: string;
  readonly type: ConfigType;
  /** Where the output would live (parse messages name it). Default: none. */
  readonly path?: string;
  /** The variables schema; absent: any variables. */
  readonly schema?: unknown;
  /** Absent: only check the body and the schema (what `template add` does). */
  readonly variables?: Readonly<Record<string, unknown>>;
  readonly limits?: SandboxLimits;
}

/** Why a task produced no content. `variables` carries one message per variable. */
export type TemplateFailureKind = 'syntax' | 'schema' | 'variables' | 'render' | 'limit';

export type TemplateTaskResult =
  | {
      readonly ok: true;
      readonly content: string;
      /** True when the project's parser for the type reports no errors. */
      readonly valid: boolean;
      /** Parser errors, `line N: message`. */
      readonly errors: readonly string[];
    }
  | { readonly ok: false; readonly kind: TemplateFailureKind; readonly message: string; readonly errors: readonly string[] };

export function runTemplateTask(task: TemplateTask): TemplateTaskResult {
  const compiled = task.schema === undefined ? undefined : compileVariablesSchema(task.schema);
  if (compiled && 'error' in compiled) return { ok: false, kind: 'schema', message: compiled.error, errors: [compiled.error] };
  if (task.variables === undefined) {
    const checked = checkTemplate(task.body, task.limits);
    return checked.ok ? { ok: true, content: '', valid: true, errors: [] } : { ok: false, kind: checked.kind, message: checked.message, errors: [checked.message] };
  }
  // Ajv fills declared defaults in: the render sees them
  const variables = structuredClone(task.variables) as Record<string, unknown>;
  if (compiled) {
    const errors = variableErrors(compiled.validate, variables);
    if (errors.length > 0) return { ok: false, kind: 'variables', message: errors.join('; '), errors };
  }
  const rendered = renderSandboxed(task.body, variables, task.limits);
  if (!rendered.ok) return { ok: false, kind: rendered.kind, message: rendered.message, errors: [rendered.message] };
  const parsed = getParser(task.type).parse(Buffer.from(rendered.content, 'utf8'), task.path ? { path: task.path } : {});
  const errors = parsed.errors.map((e) => `${e.line ? `line ${e.line}: ` : ''}${e.message}`);
  return { ok: true, content: rendered.content, valid: errors.length === 0, errors };
}
