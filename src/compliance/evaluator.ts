/**
 * Evaluates rules on one parsed file with @bufbuild/cel.
 *
 * Why this library: measured on a representative set (six rules: scalar
 * comparisons, `split`/`matches`, nested `all`/`exists` over compose
 * services) over 1,000 views, @marcbachmann/cel-js evaluated about four
 * times faster (≈5 µs against ≈20 µs per evaluation), but it runs `matches`
 * on JavaScript's backtracking RegExp: `'a'*27 + '!'` against `^(a+)+$`
 * took 5 s there and 10 ms here, since @bufbuild/cel ships an RE2 engine
 * whose time is linear in the input. Custom rules are user input and a
 * hang in a worker costs a whole batch, so the linear engine wins; at
 * ≈20 µs an evaluation, a thousand files of a fleet still take well under
 * the 2 s target (`npm run bench -- compliance`). It also tracks the CEL
 * specification's conformance suite.
 *
 * Bounds on one evaluation: an expression is refused at compile time past
 * MAX_EXPRESSION_CHARS, MAX_AST_NODES or MAX_COMPREHENSION_DEPTH nested
 * macros; the lists of a view are capped (views.ts MAX_VIEW_ITEMS); so the
 * work of one evaluation is at most nodes × items^depth. An evaluation that
 * still takes longer than EVALUATION_BUDGET_MS reports `error` for its rule
 * rather than a verdict, and the analysis pool's worker budget stops a run
 * that would not end.
 */
import { celEnv, isCelError, isCelList, isCelMap, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { ComplianceRule, RuleOutcome } from './rule.js';
import { type View, viewOf } from './views.js';

export const MAX_EXPRESSION_CHARS = 4_000;
export const MAX_AST_NODES = 400;
export const MAX_COMPREHENSION_DEPTH = 2;
export const EVALUATION_BUDGET_MS = 1_000;
/** Violations listed in one finding's message. */
const MAX_LISTED = 3;

type Program = (bindings: View) => unknown;

const env = celEnv({ funcs: strings });

/**
 * Counts expression nodes and the deepest nesting of comprehensions
 * (macros): the list a macro ranges over is evaluated once, at the outer
 * depth; its step runs per item, one level deeper.
 */
function measure(node: unknown, depth = 0, acc = { nodes: 0, depth: 0 }): { nodes: number; depth: number } {
  if (node === null || typeof node !== 'object') return acc;
  if (Array.isArray(node)) {
    for (const item of node) measure(item, depth, acc);
    return acc;
  }
  const record = node as Record<string, unknown>;
  if ('exprKind' in record) {
    acc.nodes += 1;
    const kind = record.exprKind as { case?: string; value?: Record<string, unknown> };
    if (kind.case === 'comprehensionExpr' && kind.value) {
      acc.depth = Math.max(acc.depth, depth + 1);
      const { iterRange, ...perItem } = kind.value;
      measure(iterRange, depth, acc);
      measure(perItem, depth + 1, acc);
      return acc;
    }
  }
  for (const [key, value] of Object.entries(record)) if (key !== 'sourceInfo' && key !== '$typeName') measure(value, depth, acc);
  return acc;
}

/** A compile problem, with the 1-based column CEL reported when it did. */
export interface CompileProblem {
  readonly message: string;
  readonly column?: number;
}

/** Parses and plans an expression within the bounds; a problem instead of a program when it cannot be used. */
export function compileExpression(expression: string): Program | CompileProblem {
  if (expression.length > MAX_EXPRESSION_CHARS) return { message: `expression is longer than ${MAX_EXPRESSION_CHARS} characters` };
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(expression);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const at = text.match(/<input>:\d+:(\d+)/);
    return at ? { message: text.split('\n')[0]!, column: Number(at[1]) } : { message: text.split('\n')[0]! };
  }
  const size = measure(parsed.expr);
  if (size.nodes > MAX_AST_NODES) return { message: `expression has ${size.nodes} nodes, more than ${MAX_AST_NODES}` };
  if (size.depth > MAX_COMPREHENSION_DEPTH) return { message: `expression nests ${size.depth} macros (all, exists, filter, map), more than ${MAX_COMPREHENSION_DEPTH}` };
  const program = plan(env, parsed);
  return (bindings) => program(bindings as never);
}

const isProblem = (p: Program | CompileProblem): p is CompileProblem => typeof p !== 'function';

/** Compiled programs by expression text: rules are compiled once per worker. */
const compiled = new Map<string, Program | CompileProblem>();

function programFor(expression: string): Program | CompileProblem {
  let program = compiled.get(expression);
  if (!program) {
    program = compileExpression(expression);
    compiled.set(expression, program);
  }
  return program;
}

interface Violation {
  readonly line: number | null;
  readonly message: string;
}

const asLine = (value: unknown): number | null => {
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'number' ? value : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : null;
};

/** A check's value as violations: false → one, a list → one per item, true / empty → none; anything else is an error. */
function violationsOf(value: unknown, rule: ComplianceRule): Violation[] | string {
  if (value === true) return [];
  if (value === false) return [{ line: null, message: rule.title }];
  if (!isCelList(value)) return isCelError(value) ? value.message : `check gave ${typeof value}, not a boolean or a list`;
  const out: Violation[] = [];
  for (let i = 0; i < value.size; i++) {
    const item = value.get(i);
    if (isCelMap(item)) out.push({ line: asLine(item.get('line')), message: String(item.get('message') ?? rule.title) });
    else out.push({ line: null, message: typeof item === 'string' ? item : rule.title });
  }
  return out;
}

function run(expression: string, view: View): { value: unknown; ms: number } | string {
  const program = programFor(expression);
  if (isProblem(program)) return program.message;
  const started = performance.now();
  const value = program(view);
  return { value, ms: performance.now() - started };
}

/** Evaluates one rule on a view; undefined when the rule does not apply. */
export function evaluateRule(rule: ComplianceRule, view: View): RuleOutcome | undefined {
  const error = (message: string): RuleOutcome => ({ rule: rule.id, status: 'error', message, line: null });
  if (rule.when) {
    const applies = run(rule.when, view);
    if (typeof applies === 'string') return error(`when: ${applies}`);
    if (isCelError(applies.value)) return error(`when: ${applies.value.message}`);
    if (applies.value !== true) return undefined;
  }
  const checked = run(rule.check, view);
  if (typeof checked === 'string') return error(checked);
  if (checked.ms > EVALUATION_BUDGET_MS) return error(`evaluation took ${Math.round(checked.ms)} ms, over its ${EVALUATION_BUDGET_MS} ms budget`);
  const violations = violationsOf(checked.value, rule);
  if (typeof violations === 'string') return error(violations);
  if (violations.length === 0) return { rule: rule.id, status: 'pass' };
  let line = violations.find((v) => v.line !== null)?.line ?? null;
  if (line === null && rule.line) {
    const located = run(rule.line, view);
    if (typeof located !== 'string') line = asLine(located.value);
  }
  const listed = violations.slice(0, MAX_LISTED).map((v) => v.message);
  const more = violations.length > MAX_LISTED ? ` (and ${violations.length - MAX_LISTED} more)` : '';
  return { rule: rule.id, status: 'fail', message: `${listed.join('; ')}${more}`, line };
}

/**
 * True when a file of this type is evaluated on its own: an sshd drop-in
 * (`sshd_config.d/*.conf`) is judged as part of the main file that
 * includes it, never alone, where OpenSSH's defaults would fill its gaps.
 */
export const evaluatedAlone = (type: string, path: string): boolean => type !== 'sshd' || !path.includes('/sshd_config.d/');

/** Evaluates the rules of the file's type on its parsed data; no outcomes when it has no usable data. */
export function evaluateFile(rules: readonly ComplianceRule[], type: string, path: string, parsed: unknown): RuleOutcome[] {
  const own = rules.filter((r) => r.configType === type);
  if (own.length === 0 || !evaluatedAlone(type, path)) return [];
  const view = viewOf(own[0]!.configType, parsed);
  if (!view) return [];
  const out: RuleOutcome[] = [];
  for (const rule of own) {
    const outcome = evaluateRule(rule, view);
    if (outcome) out.push(outcome);
  }
  return out;
}
