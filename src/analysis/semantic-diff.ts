/**
 * Semantic diff: typed changes between the parsed data of two versions of
 * a config file. Pure; per-type comparisons live in diff/.
 */
import type { ConfigType, ParseIssue } from '../parsers/parser.js';
import { type Change, change } from './change.js';
import { composeDiff } from './diff/compose-diff.js';
import { envDiff } from './diff/env-diff.js';
import { genericDiff } from './diff/generic-diff.js';
import { nginxDiff } from './diff/nginx-diff.js';
import { sshdDiff } from './diff/sshd-diff.js';
import { systemdDiff } from './diff/systemd-diff.js';
import type { EnvUsage } from './facts/env-usage.js';
import { sameMeaning } from './same-meaning.js';

export interface DiffInputs {
  /** Text of the old version; null/undefined when the file did not exist (created). */
  readonly oldText?: string | null;
  /** Text of the new version; null/undefined when the file is gone (deleted). */
  readonly newText?: string | null;
  /** Parse errors of the new version; any error makes the new version unparsable. */
  readonly newErrors?: readonly ParseIssue[];
  /** Parse errors of the old version: a version that did not parse before is no news when it still does not. */
  readonly oldErrors?: readonly ParseIssue[];
  /** Path of the file, for names the data lacks (a unit parsed without its path). */
  readonly path?: string;
  /** `.env` files: the compose services using its variables. */
  readonly envUsage?: EnvUsage;
}

type TypeDiff = (oldData: unknown, newData: unknown, inputs: DiffInputs) => Change[];

const TYPE_DIFFS: Record<ConfigType, TypeDiff> = {
  compose: (a, b) => composeDiff(a, b),
  nginx: (a, b) => nginxDiff(a, b),
  systemd: (a, b, { path }) => systemdDiff(a, b, path?.slice(path.lastIndexOf('/') + 1)),
  sshd: (a, b, { oldText, newText }) => sshdDiff(a, b, oldText ?? undefined, newText ?? undefined),
  env: (a, b, { oldText, newText, envUsage }) => envDiff(a, b, oldText ?? undefined, newText ?? undefined, envUsage),
  generic: (a, b) => genericDiff(a, b),
};

/**
 * The typed changes from `oldParsed` to `newParsed`. A deleted file is
 * `file.deleted`, a new one `file.created` plus what it brings (public
 * ports, privileges…). A version that no longer parses is `parse.failed`
 * only when the old one parsed; one that did not parse before and still
 * does not is `parse.still_failed` (or nothing but comments). Data equal
 * but for line numbers, comments, order and spelling is
 * `whitespace_or_comments.only`, and a data change no specific kind covers
 * `config.changed`.
 */
export function semanticDiff(type: ConfigType, oldParsed: unknown, newParsed: unknown, inputs: DiffInputs = {}): Change[] {
  const existed = inputs.oldText !== undefined && inputs.oldText !== null;
  const exists = inputs.newText !== undefined && inputs.newText !== null;
  if (!exists) return existed ? [change('file.deleted', {})] : [];
  const errors = inputs.newErrors ?? [];
  const newFailed = errors.length > 0 || newParsed === null || newParsed === undefined;
  const oldFailed = existed && ((inputs.oldErrors?.length ?? 0) > 0 || oldParsed === null || oldParsed === undefined);
  if (existed && inputs.oldText === inputs.newText) return [];
  if (newFailed) {
    const first = errors[0];
    const detail = { errors: errors.length, message: first?.message ?? 'no usable data', line: first?.line ?? null };
    if (!oldFailed) return [change('parse.failed', detail)];
    return [change(sameText(inputs.oldText!, inputs.newText!) ? 'whitespace_or_comments.only' : 'parse.still_failed', detail)];
  }
  const diff = TYPE_DIFFS[type];
  if (!existed) return [change('file.created', {}), ...diff(null, newParsed, inputs)];
  if (oldFailed) return [change('parse.recovered', {})];
  const changes = diff(oldParsed, newParsed, inputs);
  if (changes.length > 0) return changes;
  return [change(sameMeaning(type, oldParsed, newParsed) ? 'whitespace_or_comments.only' : 'config.changed', {})];
}

/** Two texts equal once comments, blank lines and spacing are set aside; for files no parser can read. */
function sameText(a: string, b: string): boolean {
  const lines = (text: string) =>
    text
      .split(/\r?\n/)
      .map((l) => l.replace(/(^|\s)[#;].*$/, '').replace(/\s+/g, ' ').trim())
      .filter(Boolean);
  const x = lines(a);
  const y = lines(b);
  return x.length === y.length && x.every((l, i) => l === y[i]);
}
