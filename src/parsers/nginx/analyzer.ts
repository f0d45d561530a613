import { NginxConfigError } from './config-error.js';
import { DIRECTIVE_RULES } from './directive-table.js';

/** The chain of block directives a statement sits in, e.g. `['http', 'server']`. */
export type BlockContext = readonly string[];

/** What the analyzer is asked to check; both default to off. */
export interface AnalyzeOptions {
  /** Report directives used in a context nginx does not allow. */
  readonly checkCtx: boolean;
  /** Report wrong argument counts, non-flag values and block/`;` mismatches. */
  readonly checkArgs: boolean;
}

const CONTEXT_BITS: Readonly<Record<string, number>> = {
  M: 1 << 0,
  E: 1 << 1,
  H: 1 << 2,
  S: 1 << 3,
  L: 1 << 4,
  U: 1 << 5,
  I: 1 << 6,
  F: 1 << 7,
  X: 1 << 8,
  m: 1 << 9,
  n: 1 << 10,
  s: 1 << 11,
  t: 1 << 12,
  u: 1 << 13,
};
const ANY_CONTEXT = 'MEmnstuHSLU'.split('').reduce((bits, c) => bits | CONTEXT_BITS[c]!, 0);

/** The contexts crossplane checks, keyed by their block chain. */
const CONTEXT_OF_CHAIN: ReadonlyMap<string, number> = new Map(
  (
    [
      ['', 'M'],
      ['events', 'E'],
      ['mail', 'm'],
      ['mail server', 'n'],
      ['stream', 's'],
      ['stream server', 't'],
      ['stream upstream', 'u'],
      ['http', 'H'],
      ['http server', 'S'],
      ['http location', 'L'],
      ['http upstream', 'U'],
      ['http server if', 'I'],
      ['http location if', 'F'],
      ['http location limit_except', 'X'],
    ] as const
  ).map(([chain, letter]) => [chain, CONTEXT_BITS[letter]!]),
);

/** Argument-style bits above the exact-count bits 0–7. */
const Args = {
  Block: 1 << 8,
  Flag: 1 << 9,
  Any: 1 << 10,
  OneOrMore: 1 << 11,
  TwoOrMore: 1 << 12,
} as const;

interface Rule {
  readonly contexts: number;
  /** Bit n (0–7) set: exactly n arguments allowed; plus the `Args` bits. */
  readonly args: number;
}

function compileRule(text: string): Rule {
  const [ctx = '', spec = ''] = text.split(':');
  const contexts = ctx === '*' ? ANY_CONTEXT : ctx.split('').reduce((bits, c) => bits | CONTEXT_BITS[c]!, 0);
  let args = 0;
  if (spec.includes('B')) args |= Args.Block;
  if (spec.includes('F')) args |= Args.Flag;
  if (spec.includes('A')) args |= Args.Any;
  if (spec === '+' || spec === 'B+') args |= Args.OneOrMore;
  else if (spec.endsWith('2+')) args |= Args.TwoOrMore;
  else for (const d of spec.replace(/\D/g, '')) args |= 1 << Number(d);
  return { contexts, args };
}

const RULES: ReadonlyMap<string, readonly Rule[]> = new Map(
  Object.entries(DIRECTIVE_RULES).map(([name, rules]) => [name, rules.split(' ').map(compileRule)]),
);

/** Context bit by block chain array: a file's statements share a few chains, so each is joined once. */
const contextBits = new WeakMap<BlockContext, number | undefined>();

function contextBitOf(ctx: BlockContext): number | undefined {
  const known = contextBits.get(ctx);
  if (known !== undefined || contextBits.has(ctx)) return known;
  const bit = CONTEXT_OF_CHAIN.get(ctx.join(' '));
  contextBits.set(ctx, bit);
  return bit;
}

/** The context a block directive opens; locations never nest deeper than `http location`. */
export function enterBlockContext(directive: string, ctx: BlockContext): BlockContext {
  if (ctx[0] === 'http' && directive === 'location') return ['http', 'location'];
  return [...ctx, directive];
}

/**
 * Checks one statement the way crossplane's analyzer does and throws an
 * `NginxConfigError` with crossplane's message when it is invalid.
 * `terminator` is the token that ended it: `;`, `{` or `}`.
 */
export function analyzeStatement(
  fileLabel: string,
  directive: string,
  args: readonly string[],
  line: number,
  terminator: string,
  ctx: BlockContext,
  options: AnalyzeOptions,
): void {
  // Unknown directives are the cheap case: look the name up before the context.
  let rules = RULES.get(directive);
  if (rules === undefined) return;
  const contextBit = contextBitOf(ctx);
  if (contextBit === undefined) return;

  if (options.checkCtx) {
    rules = rules.filter((rule) => rule.contexts & contextBit);
    if (rules.length === 0) throw new NginxConfigError(`"${directive}" directive is not allowed here`, fileLabel, line);
  }
  if (!options.checkArgs) return;

  const n = args.length;
  const isFlag = (value: string) => value.toLowerCase() === 'on' || value.toLowerCase() === 'off';
  // Like crossplane, try the rules last to first and report the first rule's problem.
  let reason = '';
  for (let i = rules.length - 1; i >= 0; i--) {
    const mask = rules[i]!.args;
    if (mask & Args.Block && terminator !== '{') {
      reason = `directive "${directive}" has no opening "{"`;
      continue;
    }
    if (!(mask & Args.Block) && terminator !== ';') {
      reason = `directive "${directive}" is not terminated by ";"`;
      continue;
    }
    if (
      (n <= 7 && (mask >> n) & 1) ||
      (mask & Args.Flag && n === 1 && isFlag(args[0]!)) ||
      mask & Args.Any ||
      (mask & Args.OneOrMore && n >= 1) ||
      (mask & Args.TwoOrMore && n >= 2)
    ) {
      return;
    }
    reason =
      mask & Args.Flag && n === 1
        ? `invalid value "${args[0]}" in "${directive}" directive, it must be "on" or "off"`
        : `invalid number of arguments in "${directive}" directive`;
  }
  throw new NginxConfigError(reason, fileLabel, line);
}
