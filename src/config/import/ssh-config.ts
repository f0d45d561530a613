/**
 * Reads `~/.ssh/config`-style files (ssh_config(5)): `Host` blocks with
 * HostName, Port, User, IdentityFile and ProxyJump. As ssh does, the first
 * value obtained for a keyword wins, and every block whose patterns match an
 * alias contributes (so a trailing `Host *` supplies defaults). Aliases that
 * are themselves patterns are not hosts and are skipped.
 */
import { ConfwatchError } from '../../errors.js';
import { slugify } from '../names.js';
import type { ImportedHost, ImportResult } from './imported-host.js';

interface Block {
  readonly patterns: string[];
  readonly line: number;
  readonly values: Map<string, string>;
}

const KEYWORDS = new Set(['hostname', 'port', 'user', 'identityfile', 'proxyjump']);

export function parseSshConfig(text: string, fileName: string): ImportResult {
  const warnings: string[] = [];
  const blocks: Block[] = [];
  let current: Block | undefined;
  let inMatch = false;
  const fail = (line: number, message: string): never => {
    throw new ConfwatchError('CW_ERR_INPUT', `${fileName}:${line}: ${message}`);
  };

  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(trimmed);
    if (!m) fail(line, `expected "Keyword value", got "${trimmed.slice(0, 40)}"`);
    const keyword = (m![1] as string).toLowerCase();
    const args = splitArgs(m![2] as string, () => fail(line, 'unterminated quote'));
    if (args.length === 0) fail(line, `${m![1]} needs a value`);
    if (keyword === 'host') {
      current = { patterns: args, line, values: new Map() };
      blocks.push(current);
      inMatch = false;
      return;
    }
    if (keyword === 'match') {
      warnings.push(`${fileName}:${line}: Match blocks are not imported`);
      current = undefined;
      inMatch = true;
      return;
    }
    if (keyword === 'include') {
      warnings.push(`${fileName}:${line}: Include is not followed; import the included file separately`);
      return;
    }
    if (inMatch || !KEYWORDS.has(keyword)) return;
    if (keyword === 'port' && !/^\d{1,5}$/.test(args[0] as string)) fail(line, `Port must be a number, got "${args[0]}"`);
    const target = current ?? globalBlock(blocks);
    if (!target.values.has(keyword)) target.values.set(keyword, args.join(' '));
  });

  const hosts: ImportedHost[] = [];
  const seen = new Set<string>();
  for (const block of blocks) {
    for (const alias of block.patterns) {
      if (/[*?!]/.test(alias)) continue;
      if (seen.has(alias)) continue;
      seen.add(alias);
      const value = (key: string) => {
        for (const b of blocks) if (b.patterns.some((p) => matchesHostPattern(p, alias)) && b.values.has(key)) return b.values.get(key);
        return undefined;
      };
      const name = slugify(alias);
      if (!name) {
        warnings.push(`${fileName}:${block.line}: host "${alias}" has no usable name; skipped`);
        continue;
      }
      const port = value('port');
      const identity = value('identityfile');
      const jump = value('proxyjump');
      hosts.push({
        name,
        host: (value('hostname') ?? alias).replace(/%h/g, alias),
        ...(port ? { port: Number(port) } : {}),
        ...(value('user') ? { user: value('user') as string } : {}),
        ...(identity ? { identityFile: identity } : {}),
        ...(jump && jump.toLowerCase() !== 'none' ? { jump: jump.split(',')[0]?.trim() as string } : {}),
        tags: [],
        line: block.line,
      });
    }
  }
  return { format: 'ssh-config', hosts, warnings };
}

/** Options before the first Host line apply to every host. */
function globalBlock(blocks: Block[]): Block {
  const global: Block = { patterns: ['*'], line: 0, values: new Map() };
  blocks.unshift(global);
  return global;
}

/** ssh_config(5) pattern: `*` and `?` wildcards, `!` negation (a negated match never matches). */
function matchesHostPattern(pattern: string, alias: string): boolean {
  const negated = pattern.startsWith('!');
  const body = negated ? pattern.slice(1) : pattern;
  const re = new RegExp(`^${body.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(alias) && !negated;
}

function splitArgs(text: string, onUnterminated: () => never): string[] {
  const args: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  const quotes = (text.match(/"/g) ?? []).length;
  if (quotes % 2 !== 0) onUnterminated();
  for (const m of text.matchAll(re)) {
    if (m[2]?.startsWith('#')) break;
    args.push(m[1] ?? (m[2] as string));
  }
  return args;
}
