import { decodeText, splitLines } from '../generic/decode-text.js';
import { neverThrow } from '../generic/never-throw.js';
import type { ParseContext, ParseIssue, ParseResult, Parser } from '../parser.js';
import { splitSshdLine } from './sshd-tokens.js';

/** One keyword line of sshd_config (or of a file it includes). */
export interface SshdDirective {
  readonly kind: 'directive';
  /** Canonical lower-case keyword, e.g. `permitrootlogin`. */
  readonly key: string;
  /** The keyword as written, for display. */
  readonly keyword: string;
  readonly args: string[];
  /** 1-based line in `file` (or in the main file when `file` is absent). */
  readonly line: number;
  readonly file?: string;
  /** False when an earlier line already set this keyword (sshd keeps the first). */
  readonly effective: boolean;
}

/** A `Match` block: its criteria and the directives inside it. */
export interface SshdMatchBlock {
  readonly kind: 'match';
  /** The criteria as written after `Match`. */
  readonly criteria: string;
  /** Criteria as name (lower-case) and value pairs; `all` has no value. */
  readonly conditions: { readonly name: string; readonly value: string | null }[];
  readonly line: number;
  readonly file?: string;
  readonly directives: SshdDirective[];
  /** Effective settings inside this block (first value wins). */
  readonly settings: Record<string, string | string[]>;
}

/** A parsed sshd_config. */
export interface SshdConfigData {
  readonly kind: 'sshd-config';
  /** Directives of the global section, in order (includes expanded). */
  readonly directives: SshdDirective[];
  readonly matches: SshdMatchBlock[];
  /** Effective global settings by canonical key: a string, or a list for keywords sshd accumulates. */
  readonly settings: Record<string, string | string[]>;
  /** Canonical key → keyword spelling as first written. */
  readonly keywords: Record<string, string>;
  /** Files pulled in by `Include`, in the order read. */
  readonly includes: string[];
}

/** Keywords sshd accumulates over lines instead of keeping the first. */
const ACCUMULATING = new Set([
  'acceptenv',
  'allowgroups',
  'allowusers',
  'denygroups',
  'denyusers',
  'hostcertificate',
  'hostkey',
  'listenaddress',
  'port',
  'subsystem',
  'setenv',
  'channeltimeout',
  'logverbose',
]);

/** OpenSSH stops following `Include` beyond this depth. */
const MAX_INCLUDE_DEPTH = 16;
const SSH_DIR = '/etc/ssh/';

interface Scope {
  readonly directives: SshdDirective[];
  readonly settings: Record<string, string | string[]>;
}

/** An issue at a line (of an included file, when `file` is set); a plain function, not a closure per line. */
const issue = (message: string, line: number, file: string | undefined): ParseIssue => (file ? { message, line, file } : { message, line });

const newScope = (): Scope => ({ directives: [], settings: Object.create(null) });

class SshdReader {
  readonly errors: ParseIssue[] = [];
  readonly warnings: ParseIssue[] = [];
  readonly global = newScope();
  readonly matches: SshdMatchBlock[] = [];
  readonly keywords: Record<string, string> = Object.create(null);
  readonly includes: string[] = [];
  #scope: Scope = this.global;

  constructor(private readonly context: ParseContext) {}

  read(text: string, file: string | undefined, depth: number): void {
    const lines = splitLines(text);
    for (let i = 0; i < lines.length; i++) this.#readLine(lines[i]!, i + 1, file, depth);
  }

  #readLine(raw: string, line: number, file: string | undefined, depth: number): void {
    // `Keyword=value` and `Keyword = value` are accepted as well as `Keyword value`;
    // most lines hold no `=`, and skip the rewrite.
    const words = splitSshdLine(raw.includes('=') ? raw.replace(/^(\s*[A-Za-z0-9]+)\s*=\s*/, '$1 ') : raw);
    if (words === null) {
      this.errors.push(issue('Unterminated quote', line, file));
      return;
    }
    if (words.length === 0) return;
    const keyword = words[0]!;
    const key = keyword.toLowerCase();
    if (key === 'match') this.#openMatch(words.slice(1), line, file);
    else if (key === 'include') this.#include(words.slice(1), (message) => issue(message, line, file), depth);
    else if (words.length === 1) this.errors.push(issue(`${keyword}: missing argument`, line, file));
    else {
      this.keywords[key] ??= keyword;
      this.#set(key, keyword, words.slice(1), line, file);
    }
  }

  /** Records one directive; built once with its final fields, as large files hold hundreds of thousands. */
  #set(key: string, keyword: string, args: string[], line: number, file: string | undefined): void {
    const { settings, directives } = this.#scope;
    const value = args.join(' ');
    const previous = settings[key];
    let effective = true;
    if (ACCUMULATING.has(key)) {
      if (Array.isArray(previous)) previous.push(value);
      else settings[key] = [value];
    } else if (previous === undefined) settings[key] = value;
    else {
      effective = false;
      this.warnings.push(issue(`${keyword} is already set; sshd keeps the first value "${previous}"`, line, file));
    }
    directives.push(
      file ? { kind: 'directive', key, keyword, args, line, file, effective } : { kind: 'directive', key, keyword, args, line, effective },
    );
  }

  #openMatch(args: string[], line: number, file: string | undefined): void {
    const conditions: SshdMatchBlock['conditions'] = [];
    for (let i = 0; i < args.length; i++) {
      const name = args[i]!.toLowerCase();
      if (name === 'all') conditions.push({ name, value: null });
      else conditions.push({ name, value: args[++i] ?? null });
    }
    const block: SshdMatchBlock = { kind: 'match', criteria: args.join(' '), conditions, line, ...(file ? { file } : {}), ...newScope() };
    this.matches.push(block);
    this.#scope = block;
  }

  #include(patterns: string[], at: (message: string) => ParseIssue, depth: number): void {
    const { glob, readFile } = this.context;
    if (depth >= MAX_INCLUDE_DEPTH) {
      this.errors.push(at('Include nested too deeply'));
      return;
    }
    if (!glob || !readFile) {
      this.warnings.push(at(`Include ${patterns.join(' ')} not followed: no other files available`));
      return;
    }
    for (const pattern of patterns) {
      const absolute = pattern.startsWith('/') ? pattern : `${SSH_DIR}${pattern}`;
      for (const path of [...glob(absolute)].sort()) {
        const bytes = readFile(path);
        if (!bytes) {
          this.warnings.push(at(`Included file ${path} is not available`));
          continue;
        }
        this.includes.push(path);
        this.read(decodeText(bytes).text, path, depth + 1);
      }
    }
  }
}

/** See `Parser.version`. */
export const SSHD_PARSER_VERSION = 1;

/** sshd_config: case-insensitive keywords, first value wins, `Match` blocks, `Include`. */
export const sshdParser: Parser<SshdConfigData> = {
  type: 'sshd',
  version: SSHD_PARSER_VERSION,
  parse(bytes, context = {}): ParseResult<SshdConfigData> {
    return neverThrow<SshdConfigData>(() => {
      const decoded = decodeText(bytes);
      const reader = new SshdReader(context);
      reader.read(decoded.text, undefined, 0);
      const data: SshdConfigData = {
        kind: 'sshd-config',
        directives: reader.global.directives,
        matches: reader.matches,
        settings: reader.global.settings,
        keywords: reader.keywords,
        includes: reader.includes,
      };
      return { data, errors: reader.errors, warnings: [...decoded.warnings, ...reader.warnings] };
    });
  },
};
