import type { ParseContext } from '../parser.js';
import { analyzeStatement, type BlockContext, enterBlockContext } from './analyzer.js';
import { NginxConfigError } from './config-error.js';
import { dirname, hasGlobMagic, joinPath, pythonRepr } from './include-path.js';
import { decodeNginxText, NginxTokenBatches } from './lexer.js';
import type {
  NginxFilePayload,
  NginxMultiPayload,
  NginxSinglePayload,
  NginxStatement,
} from './payload.js';
import type { TokenColumns } from './token.js';

/** Options of `parseNginx`, named after crossplane's `parse()` arguments. */
export interface NginxParseOptions {
  /** Keep `#` comments as statements. Default false. */
  readonly comments?: boolean;
  /** Parse this file only (true, the default) or follow `include` through `context`. */
  readonly single?: boolean;
  /** Report directives used where nginx does not allow them. Default false. */
  readonly checkCtx?: boolean;
  /** Report wrong argument counts and block/`;` mismatches. Default false. */
  readonly checkArgs?: boolean;
  /** Where included files come from (multi-file mode); without it includes find nothing. */
  readonly context?: ParseContext;
  /** The file's name in messages and payloads. Default `context.path`, else `nginx.conf`. */
  readonly fileName?: string;
  /**
   * Directory that relative include paths are resolved against. Default: the
   * main file's directory, as crossplane does; nginx itself uses its prefix
   * (e.g. `/etc/nginx`), which differs for files below `sites-enabled/`.
   */
  readonly includeRoot?: string;
}

/**
 * Blocks nested deeper than this are refused with an error rather than
 * parsed: real configs stay far below it, and it keeps every consumer of
 * the tree (JSON, diff, summary) safe from exhausting the stack.
 */
export const MAX_BLOCK_DEPTH = 500;

/**
 * Parses nginx config bytes exactly as NGINX's crossplane 0.5.7 does and
 * returns its payload: `{status, errors, parsed}` in single-file mode,
 * `{status, errors, config: [...]}` when `single` is false. Never throws.
 */
export function parseNginx(bytes: Buffer, options?: NginxParseOptions & { single?: true }): NginxSinglePayload;
export function parseNginx(bytes: Buffer, options: NginxParseOptions & { single: false }): NginxMultiPayload;
export function parseNginx(bytes: Buffer, options?: NginxParseOptions): NginxSinglePayload | NginxMultiPayload;
export function parseNginx(bytes: Buffer, options: NginxParseOptions = {}): NginxSinglePayload | NginxMultiPayload {
  const payload = new PayloadBuilder(bytes, options).build();
  if (options.single === false) return payload;
  const only = payload.config[0]!;
  return { status: payload.status, errors: payload.errors, parsed: only.parsed };
}

/** Thrown where crossplane runs out of tokens mid-statement (a bare StopIteration). */
class EndOfTokens extends Error {}

/** Hands out tokens batch by batch; past the last one it raises the lexer's failure, if any. */
class TokenStream {
  readonly #batches: NginxTokenBatches;
  readonly #tokens: TokenColumns;
  readonly #values: readonly string[];
  #next = 0;
  /** The current token, after `next()` returned true or `require()` returned. */
  value = '';
  line = 0;
  quoted = false;

  constructor(batches: NginxTokenBatches) {
    this.#batches = batches;
    this.#tokens = batches.tokens;
    this.#values = batches.tokens.values;
  }

  /** Moves to the next token; false at a clean end of input. */
  next(): boolean {
    let i = this.#next;
    if (i >= this.#values.length) {
      if (!this.#batches.next()) {
        if (this.#batches.failure) throw this.#batches.failure;
        return false;
      }
      i = 0;
    }
    this.value = this.#values[i]!;
    this.line = this.#tokens.line(i);
    this.quoted = this.#tokens.quoted(i);
    this.#next = i + 1;
    return true;
  }

  /** Moves to the next token; the end of input is an error here. */
  require(): void {
    if (!this.next()) throw new EndOfTokens('');
  }
}

/** One open block while parsing; `parsed` is null while skipping a block. */
interface Frame {
  readonly parsed: NginxStatement[] | null;
  readonly ctx: BlockContext;
  /** Comments found among the opening statement's arguments, added after it. */
  readonly trailing: readonly NginxStatement[];
}

/** Builds the multi-file payload: the main file, then each included file in turn. */
class PayloadBuilder {
  readonly #options: NginxParseOptions;
  readonly #payload: NginxMultiPayload = { status: 'ok', errors: [], config: [] };
  readonly #queue: { file: string; ctx: BlockContext; bytes?: Buffer }[];
  readonly #indexOf = new Map<string, number>();
  readonly #configDir: string;

  constructor(bytes: Buffer, options: NginxParseOptions) {
    this.#options = options;
    const file = options.fileName ?? options.context?.path ?? 'nginx.conf';
    this.#queue = [{ file, ctx: [], bytes }];
    this.#indexOf.set(file, 0);
    this.#configDir = options.includeRoot ?? dirname(file);
  }

  build(): NginxMultiPayload {
    // The queue grows as include directives are found.
    for (let i = 0; i < this.#queue.length; i++) {
      const { file, ctx, bytes } = this.#queue[i]!;
      const entry: NginxFilePayload = { file, status: 'ok', errors: [], parsed: [] };
      try {
        const content = bytes ?? this.#options.context?.readFile?.(file);
        if (content === undefined) this.#recordIssue(entry, noSuchFile(file), null);
        else entry.parsed = this.#parseFile(entry, decodeNginxText(content), ctx);
      } catch (error) {
        this.#recordError(entry, error);
      }
      this.#payload.config.push(entry);
    }
    return this.#payload;
  }

  /** Records an exception the way crossplane's `_handle_error` does. */
  #recordError(entry: NginxFilePayload, error: unknown): void {
    if (error instanceof NginxConfigError) this.#recordIssue(entry, error.message, error.line);
    else if (error instanceof EndOfTokens) this.#recordIssue(entry, '', null);
    else this.#recordIssue(entry, error instanceof Error ? error.message : String(error), null);
  }

  #recordIssue(entry: NginxFilePayload, message: string, line: number | null): void {
    entry.status = 'failed';
    entry.errors.push({ error: message, file: null, line });
    this.#payload.status = 'failed';
    this.#payload.errors.push({ file: entry.file, error: message, line });
  }

  #parseFile(entry: NginxFilePayload, text: string, rootCtx: BlockContext): NginxStatement[] {
    const file = entry.file;
    const options = this.#options;
    const analyze = { checkCtx: options.checkCtx === true, checkArgs: options.checkArgs === true };
    const checking = analyze.checkCtx || analyze.checkArgs;
    const tokens = new TokenStream(new NginxTokenBatches(text, file));
    const root: NginxStatement[] = [];
    const stack: Frame[] = [{ parsed: root, ctx: rootCtx, trailing: NO_STATEMENTS }];
    // Arguments are gathered here first, then copied out per statement.
    const argBuffer: string[] = [];

    // Closes the innermost block; false once the file's top level closed.
    const closeFrame = (): boolean => {
      const done = stack.pop()!;
      const parent = stack[stack.length - 1];
      if (parent === undefined) return false;
      if (parent.parsed) for (const comment of done.trailing) parent.parsed.push(comment);
      return true;
    };
    const openFrame = (frame: Frame, line: number): void => {
      if (stack.length > MAX_BLOCK_DEPTH) {
        throw new NginxConfigError(`blocks nested deeper than ${MAX_BLOCK_DEPTH} levels`, file, line);
      }
      stack.push(frame);
    };

    while (tokens.next()) {
      const frame = stack[stack.length - 1]!;
      if (tokens.value === '}' && !tokens.quoted) {
        if (!closeFrame()) break;
        continue;
      }
      if (frame.parsed === null) {
        if (tokens.value === '{' && !tokens.quoted) openFrame({ parsed: null, ctx: frame.ctx, trailing: NO_STATEMENTS }, tokens.line);
        continue;
      }
      const directive = tokens.value;
      const line = tokens.line;
      if (!tokens.quoted && directive.startsWith('#')) {
        if (options.comments) frame.parsed.push(commentStatement(directive.slice(1), line));
        continue;
      }

      let argCount = 0;
      // Allocated only when a comment sits among the arguments, which is rare.
      let trailing: NginxStatement[] = NO_STATEMENTS;
      tokens.require();
      while (tokens.quoted || (tokens.value !== '{' && tokens.value !== ';' && tokens.value !== '}')) {
        if (!tokens.quoted && tokens.value.startsWith('#')) {
          if (trailing === NO_STATEMENTS) trailing = [];
          trailing.push(commentStatement(tokens.value.slice(1), line));
        } else argBuffer[argCount++] = tokens.value;
        tokens.require();
      }
      // An exact-size copy: a list grown by push keeps spare capacity, which
      // millions of statements would carry for as long as the tree lives.
      const args = argCount === 0 ? [] : argBuffer.slice(0, argCount);
      const endValue = tokens.value;
      const endLine = tokens.line;
      const stmt: NginxStatement = { directive, line, args };
      if (directive === 'if') stripIfParentheses(args);

      if (checking) {
        try {
          analyzeStatement(file, directive, args, line, endValue, frame.ctx, analyze);
        } catch (error) {
          if (!(error instanceof NginxConfigError)) throw error;
          this.#recordError(entry, error);
          if (error.reason.endsWith(' is not terminated by ";"')) {
            if (endValue !== '}') openFrame({ parsed: null, ctx: frame.ctx, trailing: NO_STATEMENTS }, endLine);
            else if (!closeFrame()) break;
          }
          continue;
        }
      }

      if (options.single === false && directive === 'include') this.#queueIncludes(entry, stmt, frame.ctx);

      frame.parsed.push(stmt);
      if (endValue === '{') {
        stmt.block = [];
        openFrame({ parsed: stmt.block, ctx: enterBlockContext(directive, frame.ctx), trailing }, endLine);
      } else {
        for (const comment of trailing) frame.parsed.push(comment);
      }
    }
    // Blocks still open at the end of input close quietly, as in crossplane.
    while (stack.length > 1) closeFrame();
    return root;
  }

  /** Resolves an include (relative to the main file's directory) and queues new files. */
  #queueIncludes(entry: NginxFilePayload, stmt: NginxStatement, ctx: BlockContext): void {
    const arg = stmt.args[0];
    if (arg === undefined) throw new Error('list index out of range');
    const context = this.#options.context;
    const named = joinPath(this.#configDir, arg);
    const pattern = context?.resolvePath?.(named) ?? named;
    const includes: number[] = [];
    stmt.includes = includes;
    let files: string[];
    if (hasGlobMagic(pattern)) {
      files = [...(context?.glob?.(pattern) ?? [])].sort();
    } else if (context?.readFile?.(pattern) !== undefined) {
      files = [pattern];
    } else {
      files = [];
      this.#recordIssue(entry, noSuchFile(pattern), stmt.line);
    }
    for (const file of files) {
      let index = this.#indexOf.get(file);
      if (index === undefined) {
        index = this.#queue.length;
        this.#indexOf.set(file, index);
        this.#queue.push({ file, ctx });
      }
      includes.push(index);
    }
  }
}

const NO_STATEMENTS: NginxStatement[] = [];

/** Python's message for a file that cannot be opened. */
function noSuchFile(path: string): string {
  return `[Errno 2] No such file or directory: ${pythonRepr(path)}`;
}

function commentStatement(comment: string, line: number): NginxStatement {
  return { directive: '#', line, args: [], comment };
}

/** crossplane's `_prepare_if_args`: drops the parentheses around an `if` condition. */
function stripIfParentheses(args: string[]): void {
  const last = args.length - 1;
  if (last < 0 || !args[0]!.startsWith('(') || !args[last]!.endsWith(')')) return;
  args[0] = pythonStrip(args[0]!.slice(1), 'start');
  args[last] = pythonStrip(args[last]!.slice(0, -1), 'end');
  const start = args[0] ? 0 : 1;
  const stop = args.length - (args[args.length - 1] ? 0 : 1);
  args.splice(stop);
  args.splice(0, start);
}

/** Python's whitespace (`str.isspace`), which differs from JavaScript's `\\s`. */
const PY_SPACE = /^[\t-\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]$/;

/**
 * Strips whitespace from one end by walking characters: an anchored `\s+$`
 * regex restarts at every space of a long run that does not reach the end,
 * which is quadratic (`if ("x<80k spaces>x")` took seconds).
 */
function pythonStrip(text: string, side: 'start' | 'end'): string {
  if (side === 'start') {
    let from = 0;
    while (from < text.length && PY_SPACE.test(text[from]!)) from++;
    return text.slice(from);
  }
  let to = text.length;
  while (to > 0 && PY_SPACE.test(text[to - 1]!)) to--;
  return text.slice(0, to);
}
