/**
 * Custom rules from a YAML file (`compliance rule add FILE.yaml`): one
 * rule, a list of rules, or `rules:` holding a list, each with the fields
 * of a built-in rule. Everything is checked on load — fields, id, CEL
 * expressions compiled within their bounds — and each problem names the
 * file and line it is on.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { ConfwatchError } from '../errors.js';
import { compileExpression } from './evaluator.js';
import { type ComplianceRule, RULE_CONFIG_TYPES, RULE_ID, type RuleConfigType, SEVERITIES, type Severity } from './rule.js';

const FIELDS = new Set(['id', 'title', 'severity', 'configType', 'check', 'when', 'line', 'remediation', 'source']);
const EXPRESSIONS = ['check', 'when', 'line'] as const;

export function parseCustomRules(text: string, file: string): ComplianceRule[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new ConfwatchError('CW_ERR_COMPLIANCE_RULE_INVALID', `${file}:${lineOf(node)}: ${message}; fix the rule file and add it again`);
  };
  const [first] = doc.errors;
  if (first) throw new ConfwatchError('CW_ERR_COMPLIANCE_RULE_INVALID', `${file}:${first.linePos?.[0].line ?? 1}: ${first.message.split('\n')[0]}; fix the YAML and add it again`);
  const root = doc.contents;
  const list = isMap(root) && root.has('rules') ? (root.get('rules', true) as Node) : root;
  const items = isSeq(list) ? list.items : [list];
  if (items.length === 0 || (items.length === 1 && !items[0])) fail(root, 'no rule in the file');

  const rules = items.map((item) => readRule(item as Node, fail));
  const seen = new Set<string>();
  rules.forEach((rule, i) => {
    if (seen.has(rule.id)) fail(items[i] as Node, `rule ${rule.id} is defined twice`);
    seen.add(rule.id);
  });
  return rules;
}

function readRule(node: Node, fail: (node: Node | null | undefined, message: string) => never): ComplianceRule {
  if (!isMap(node)) return fail(node, 'a rule must be a mapping of id, title, severity, configType, check, remediation and source');
  const map = node as YAMLMap;
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (!FIELDS.has(key)) fail(pair.key as Node, `unknown field "${key}" (known: ${[...FIELDS].join(', ')})`);
  }
  const text = (key: string, required: boolean): string | undefined => {
    const value = map.get(key, true) as Node | undefined;
    if (value === undefined) return required ? fail(node, `missing field "${key}"`) : undefined;
    if (!isScalar(value) || typeof value.value !== 'string' || value.value.trim() === '') return fail(value, `"${key}" must be a non-empty string`);
    return value.value;
  };
  const id = text('id', true)!;
  if (!RULE_ID.test(id)) fail(map.get('id', true) as Node, `id "${id}" must be <configType>.<name> in lowercase (e.g. sshd.banner-set)`);
  const configType = text('configType', true) as RuleConfigType;
  if (!RULE_CONFIG_TYPES.includes(configType)) fail(map.get('configType', true) as Node, `configType must be one of ${RULE_CONFIG_TYPES.join(', ')}`);
  if (!id.startsWith(`${configType}.`)) fail(map.get('id', true) as Node, `id "${id}" must start with its configType "${configType}."`);
  const severity = text('severity', true) as Severity;
  if (!SEVERITIES.includes(severity)) fail(map.get('severity', true) as Node, `severity must be one of ${SEVERITIES.join(', ')}`);
  const sourceNode = map.get('source', true) as Node | undefined;
  let source: ComplianceRule['source'];
  if (isScalar(sourceNode) && typeof sourceNode.value === 'string' && sourceNode.value.trim() !== '') source = { ref: sourceNode.value };
  else if (isMap(sourceNode)) {
    const ref = sourceNode.get('ref');
    const url = sourceNode.get('url');
    if (typeof ref !== 'string' || ref.trim() === '') return fail(sourceNode, 'source.ref must be a non-empty string');
    if (url !== undefined && (typeof url !== 'string' || !/^https?:\/\//.test(url))) return fail(sourceNode, 'source.url must be an http(s) URL');
    source = url ? { ref, url } : { ref };
  } else return fail(sourceNode ?? node, 'missing "source": the benchmark item or reference the rule encodes');

  const rule: ComplianceRule = {
    id,
    title: text('title', true)!,
    severity,
    configType,
    check: text('check', true)!,
    remediation: text('remediation', true)!,
    source,
    custom: true,
  };
  const optional: { when?: string; line?: string } = {};
  for (const key of EXPRESSIONS) {
    const expression = key === 'check' ? rule.check : text(key, false);
    if (expression === undefined) continue;
    const compiled = compileExpression(expression);
    if (typeof compiled !== 'function') {
      const at = map.get(key, true) as Node;
      fail(at, `${key}: ${compiled.message}`);
    }
    if (key !== 'check') optional[key] = expression;
  }
  return { ...rule, ...optional };
}
