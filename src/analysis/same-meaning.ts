/**
 * Whether two parsed versions say the same thing: the data compared once
 * what does not change a config's meaning is set aside — line numbers (a
 * comment at the top shifts them all), comments, map key order, and how a
 * keyword or a yes/no value was spelled (sshd reads both in any case,
 * systemd takes true/on for yes).
 */
import type { ConfigType } from '../parsers/parser.js';
import { spelledAlike } from './diff/systemd-diff.js';
import { type Directive, directiveTree } from './facts/nginx-facts.js';
import { isRecord, jsonEqual } from './loose-data.js';

/** Keys that record where or how something was written, not what it means. */
const POSITIONAL = new Set(['line', 'column', 'endLine', 'endColumn', 'offset', 'comment']);
/** sshd keeps the keyword as written beside its lower-cased key. */
const SSHD_SPELLING = new Set(['keyword', 'keywords']);

export function sameMeaning(type: ConfigType, a: unknown, b: unknown): boolean {
  if (type === 'nginx') return jsonEqual(nginxMeaning(directiveTree(a)), nginxMeaning(directiveTree(b)));
  const normalise = (data: unknown) => withoutPositions(data, type === 'sshd', type === 'systemd');
  return jsonEqual(normalise(a), normalise(b));
}

/** The directive tree without comments and line numbers (includes stay, as written). */
function nginxMeaning(tree: readonly Directive[]): unknown[] {
  return tree.filter((d) => d.directive !== '#').map((d) => [d.directive, d.args, ...(d.block ? [nginxMeaning(d.block)] : [])]);
}

function withoutPositions(value: unknown, sshd: boolean, systemd: boolean): unknown {
  if (sshd && typeof value === 'string' && /^(yes|no)$/i.test(value)) return value.toLowerCase();
  if (systemd && typeof value === 'string') return spelledAlike(value);
  if (Array.isArray(value)) return value.map((v) => withoutPositions(v, sshd, systemd));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!POSITIONAL.has(k) && !(sshd && SSHD_SPELLING.has(k))) out[k] = withoutPositions(v, sshd, systemd);
  return out;
}
