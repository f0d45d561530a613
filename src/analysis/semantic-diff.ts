/**
 * Semantic diff: typed changes between the parsed data of two versions of
 * a config file. Pure; per-type comparisons live in diff/.
 */
import type { ConfigType, ParseIssue } from '../parsers/parser.js';
import { type Change, change } from './change.js';
import { composeDiff } from './diff/compose-diff.js';
import { genericDiff } from './diff/generic-diff.js';
import { nginxDiff } from './diff/nginx-diff.js';
import { sshdDiff } from './diff/sshd-diff.js';
import { systemdDiff } from './diff/systemd-diff.js';
import { jsonEqual } from './loose-data.js';

export interface DiffInputs {
  /** Text of the old version; null/undefined when the file did not exist (created). */
  readonly oldText?: string | null;
  /** Text of the new version; null/undefined when the file is gone (deleted). */
  readonly newText?: string | null;
  /** Parse errors of the new version; any error makes the change `parse.failed`. */
  readonly newErrors?: readonly ParseIssue[];
  /** Path of the file, for names the data lacks (a unit parsed without its path). */
  readonly path?: string;
}

type TypeDiff = (oldData: unknown, newData: unknown, inputs: DiffInputs) => Change[];

const TYPE_DIFFS: Record<ConfigType, TypeDiff> = {
  compose: (a, b) => composeDiff(a, b),
  nginx: (a, b) => nginxDiff(a, b),
  systemd: (a, b, { path }) => systemdDiff(a, b, path?.slice(path.lastIndexOf('/') + 1)),
  sshd: (a, b, { oldText, newText }) => sshdDiff(a, b, oldText ?? undefined, newText ?? undefined),
  generic: (a, b) => genericDiff(a, b),
};

/**
 * The typed changes from `oldParsed` to `newParsed`. A deleted file is
 * `file.deleted`, a new one `file.created` plus what it brings (public
 * ports, privileges…), a version that no longer parses `parse.failed`,
 * equal data with different text `whitespace_or_comments.only`, and a data
 * change no specific kind covers `config.changed`.
 */
export function semanticDiff(type: ConfigType, oldParsed: unknown, newParsed: unknown, inputs: DiffInputs = {}): Change[] {
  const existed = inputs.oldText !== undefined && inputs.oldText !== null;
  const exists = inputs.newText !== undefined && inputs.newText !== null;
  if (!exists) return existed ? [change('file.deleted', {})] : [];
  const errors = inputs.newErrors ?? [];
  if (errors.length > 0 || newParsed === null || newParsed === undefined) {
    const first = errors[0];
    return [change('parse.failed', { errors: errors.length, message: first?.message ?? 'no usable data', line: first?.line ?? null })];
  }
  const diff = TYPE_DIFFS[type];
  if (!existed) return [change('file.created', {}), ...diff(null, newParsed, inputs)];
  if (inputs.oldText === inputs.newText) return [];
  if (oldParsed === null || oldParsed === undefined) return [change('parse.recovered', {})];
  const changes = diff(oldParsed, newParsed, inputs);
  if (changes.length > 0) return changes;
  return [change(jsonEqual(oldParsed, newParsed) ? 'whitespace_or_comments.only' : 'config.changed', {})];
}
