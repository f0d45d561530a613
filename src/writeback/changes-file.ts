/**
 * The changes file of `confwatch apply` (YAML):
 *
 *   validate: true        # default true
 *   reload: false         # default false
 *   changes:
 *     - device: web1
 *       path: /etc/nginx/conf.d/app.conf
 *       content: |        # or contentFile: app.conf (relative to this file),
 *         server { … }    #    snapshot: ID, or delete: true
 *       expectHash: <sha256 of the live file>   # optional
 *       mode: "0644"      # optional; a bare number is read as octal digits
 *
 * Errors name the file and the line of the bad entry.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { ConfwatchError } from '../errors.js';
import type { RemotePath } from '../transport/remote-path.js';

/** Where an entry's new content comes from. */
export type ChangeSource =
  | { readonly kind: 'content'; readonly content: Buffer }
  | { readonly kind: 'snapshot'; readonly snapshotId: string }
  | { readonly kind: 'delete' };

export interface ChangeEntry {
  readonly device: string;
  readonly path: RemotePath;
  readonly source: ChangeSource;
  readonly expectHash?: string;
  readonly mode?: number;
  /** 1-based line of the entry in the file. */
  readonly line: number;
}

export interface ChangesFile {
  readonly validate: boolean;
  readonly reload: boolean;
  readonly changes: ChangeEntry[];
}

const HASH = /^[0-9a-f]{64}$/;

export function readChangesFile(file: string): ChangesFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfwatchError('CW_ERR_INPUT', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseChangesFile(text, file, (name) => readFileSync(resolve(dirname(file), name)));
}

/** Parses the YAML text; `readContentFile` resolves `contentFile` names. */
export function parseChangesFile(text: string, file: string, readContentFile: (name: string) => Buffer): ChangesFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const lineOf = (node: Node | null | undefined): number => (node?.range ? lines.linePos(node.range[0]).line : 1);
  const fail = (line: number, message: string): never => {
    throw new ConfwatchError('CW_ERR_INPUT', `${file}:${line}: ${message}`);
  };
  if (doc.errors.length > 0) fail(doc.errors[0]!.linePos?.[0].line ?? 1, doc.errors[0]!.message.split('\n')[0]!);
  const root = doc.contents;
  if (!isMap(root)) return fail(1, 'expected a mapping with a `changes:` list');
  const top = root.toJSON() as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!['validate', 'reload', 'changes'].includes(key)) fail(lineOf(root.get(key, true) as Node), `unknown key "${key}"`);
  const flag = (key: string, fallback: boolean): boolean => {
    const v = top[key];
    if (v === undefined) return fallback;
    return typeof v === 'boolean' ? v : fail(lineOf(root.get(key, true) as Node), `${key} must be true or false`);
  };
  const list = root.get('changes', true);
  if (!isSeq(list) || list.items.length === 0) return fail(lineOf(list as Node), '`changes:` must be a non-empty list');
  const changes = list.items.map((item) => parseEntry(item as Node, lineOf(item as Node), fail, readContentFile));
  return { validate: flag('validate', true), reload: flag('reload', false), changes };
}

function parseEntry(node: Node, line: number, fail: (line: number, message: string) => never, readContentFile: (name: string) => Buffer): ChangeEntry {
  if (!isMap(node)) return fail(line, 'each change must be a mapping');
  const e = node.toJSON() as Record<string, unknown>;
  const known = ['device', 'path', 'content', 'contentFile', 'snapshot', 'delete', 'expectHash', 'mode'];
  for (const key of Object.keys(e)) if (!known.includes(key)) fail(line, `unknown key "${key}" (expected one of ${known.join(', ')})`);
  if (typeof e.device !== 'string' || e.device === '') fail(line, 'device must be a device name');
  if (typeof e.path !== 'string' || !e.path.startsWith('/')) fail(line, 'path must be an absolute path');
  const given = ['content', 'contentFile', 'snapshot', 'delete'].filter((k) => e[k] !== undefined);
  if (given.length !== 1) fail(line, `give exactly one of content, contentFile, snapshot or delete: true (got ${given.join(', ') || 'none'})`);
  let source: ChangeSource;
  if (e.content !== undefined) source = typeof e.content === 'string' ? { kind: 'content', content: Buffer.from(e.content, 'utf8') } : fail(line, 'content must be text');
  else if (e.contentFile !== undefined) {
    if (typeof e.contentFile !== 'string') fail(line, 'contentFile must be a file name');
    try {
      source = { kind: 'content', content: readContentFile(e.contentFile as string) };
    } catch (error) {
      return fail(line, `cannot read contentFile ${e.contentFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  } else if (e.snapshot !== undefined) source = typeof e.snapshot === 'string' ? { kind: 'snapshot', snapshotId: e.snapshot } : fail(line, 'snapshot must be a snapshot id');
  else source = e.delete === true ? { kind: 'delete' } : fail(line, 'delete must be true');
  if (e.expectHash !== undefined && !(typeof e.expectHash === 'string' && HASH.test(e.expectHash))) fail(line, 'expectHash must be 64 lowercase hex digits (sha256)');
  const mode = e.mode === undefined ? undefined : parseMode(e.mode);
  if (mode === null) fail(line, 'mode must be octal permission bits such as "0644"');
  return {
    device: e.device as string,
    path: e.path as string,
    source,
    ...(e.expectHash !== undefined ? { expectHash: e.expectHash as string } : {}),
    ...(mode !== undefined && mode !== null ? { mode } : {}),
    line,
  };
}

/** "0644" or 644 (YAML reads a bare 0644 as the decimal 644, so digits are taken as octal either way); null when invalid. */
function parseMode(value: unknown): number | null {
  const digits = typeof value === 'number' && Number.isInteger(value) ? String(value) : value;
  return typeof digits === 'string' && /^0?[0-7]{3,4}$/.test(digits) ? Number.parseInt(digits, 8) : null;
}
