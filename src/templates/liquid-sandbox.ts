/**
 * Renders a template body with LiquidJS, closed off: only the variables'
 * own properties are readable (no `constructor`, `__proto__`, `valueOf`
 * reached through a prototype), an undefined variable or filter is an
 * error rather than an empty string, `include`/`render`/`layout` are
 * refused (there is no file system to read), and parse size, render time,
 * allocations and output size are bounded. LiquidJS checks its limits only
 * between steps, so this runs inside a worker that the pool terminates at
 * a hard timeout (compute/analysis-pool.ts); the checks here turn the
 * common cases into a clear message before that.
 *
 * Pure and synchronous: bytes in, text out, no I/O.
 */
import { Context, type Emitter, Liquid, LiquidError, type Template, Tag, toValueSync } from 'liquidjs';

/** Limits one render works under. */
export interface SandboxLimits {
  /** Characters of template LiquidJS parses at most. Default 256 KiB. */
  readonly parseChars?: number;
  /** Wall time LiquidJS allows a render, in ms (checked between nodes). Default 1 s. */
  readonly renderMs?: number;
  /** LiquidJS's allocation budget (array and string sizes it creates). Default 16 M. */
  readonly memoryUnits?: number;
  /** Output bytes (UTF-16 code units, checked as written). Default 1 MiB. */
  readonly outputChars?: number;
}

export const DEFAULT_PARSE_CHARS = 256 * 1024;
export const DEFAULT_RENDER_MS = 1_000;
export const DEFAULT_MEMORY_UNITS = 16 * 1024 * 1024;
/** 1 MiB: no config file confwatch manages is larger, and the write-back limits agree. */
export const MAX_OUTPUT_CHARS = 1024 * 1024;

/** Why a render did not produce text: `syntax` (the body), `render` (a variable, filter or property), `limit` (a budget). */
export type SandboxFailureKind = 'syntax' | 'render' | 'limit';

export type SandboxOutcome = { readonly ok: true; readonly content: string } | { readonly ok: false; readonly kind: SandboxFailureKind; readonly message: string };

/** The tags that would read other templates; there are none to read. */
const FILE_TAGS = ['include', 'render', 'layout'] as const;

class OutputTooLarge extends Error {}
class RefusedTag extends Error {}

/** The body names a tag that reads files: refused when parsed, with its name. */
const refusedTag = (name: string) =>
  class extends Tag {
    constructor(...args: ConstructorParameters<typeof Tag>) {
      super(...args);
      throw new RefusedTag(`the {% ${name} %} tag is not available in templates: a template cannot read other templates or files; put the text in the template itself`);
    }
    *render(): Generator<unknown, void, unknown> {}
  };

/** Any file lookup fails: the tags above are refused first, this closes every other path to the disk. */
const NO_FS = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async () => {
    throw new RefusedTag('templates cannot read files');
  },
  readFileSync: () => {
    throw new RefusedTag('templates cannot read files');
  },
  resolve: (_dir: string, file: string) => file,
  contains: async () => false,
  containsSync: () => false,
};

/** What an output value writes, as LiquidJS's own emitter stringifies it. */
function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(text).join('');
  if (typeof value === 'string') return value;
  return String(value);
}

/** An emitter that stops the render as soon as the output passes the cap, rather than building 100 MB first. */
class CappedEmitter implements Emitter {
  buffer = '';
  readonly #cap: number;
  constructor(cap: number) {
    this.#cap = cap;
  }
  write(html: unknown): void {
    const piece = text(html);
    if (this.buffer.length + piece.length > this.#cap) throw new OutputTooLarge(`the rendered output is larger than ${this.#cap} characters`);
    this.buffer += piece;
  }
}

function engine(limits: Required<SandboxLimits>): Liquid {
  const liquid = new Liquid({
    ownPropertyOnly: true,
    strictVariables: true,
    strictFilters: true,
    fs: NO_FS,
    root: [],
    partials: [],
    layouts: [],
    relativeReference: false,
    dynamicPartials: false,
    cache: false,
    parseLimit: limits.parseChars,
    renderLimit: limits.renderMs,
    memoryLimit: limits.memoryUnits,
    // config files are not HTML: no escaping by default, `escape` stays available
    outputEscape: undefined,
  });
  for (const name of FILE_TAGS) liquid.registerTag(name, refusedTag(name));
  return liquid;
}

/** LiquidJS's messages name the line and column; its own stack and the template text are left out. */
function liquidMessage(error: unknown): string {
  if (error instanceof LiquidError) {
    const cause = (error as { originalError?: unknown }).originalError;
    if (cause instanceof OutputTooLarge || cause instanceof RefusedTag) return cause.message;
    return error.message.split('\n')[0] ?? error.message;
  }
  return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

/** True when LiquidJS stopped on one of its own budgets. */
const isLiquidLimit = (message: string): boolean => /\b(parse|render|memory) length limit exceeded\b|limit exceeded/i.test(message);

/** Parses the body only: syntax errors and refused tags, as a render would find them. */
export function checkTemplate(body: string, limits: SandboxLimits = {}): SandboxOutcome {
  try {
    engine(withDefaults(limits)).parse(body);
    return { ok: true, content: '' };
  } catch (error) {
    return failure(error, 'syntax');
  }
}

/**
 * Renders `body` with `variables` (plain JSON data). Never throws: every
 * failure comes back with its kind and a one-line message.
 */
export function renderSandboxed(body: string, variables: Readonly<Record<string, unknown>>, limits: SandboxLimits = {}): SandboxOutcome {
  const full = withDefaults(limits);
  const liquid = engine(full);
  let templates: Template[];
  try {
    templates = liquid.parse(body);
  } catch (error) {
    return failure(error, 'syntax');
  }
  try {
    // a scope without a prototype: nothing a template names resolves through Object.prototype
    const scope = Object.assign(Object.create(null) as Record<string, unknown>, variables);
    const context = new Context(scope, liquid.options, { sync: true });
    const emitter = new CappedEmitter(full.outputChars);
    toValueSync(liquid.renderer.renderTemplates(templates, context, emitter));
    return { ok: true, content: emitter.buffer };
  } catch (error) {
    return failure(error, 'render');
  }
}

function failure(error: unknown, kind: 'syntax' | 'render'): SandboxOutcome {
  const cause = error instanceof LiquidError ? (error as { originalError?: unknown }).originalError : error;
  const message = liquidMessage(error);
  if (cause instanceof OutputTooLarge || error instanceof OutputTooLarge) return { ok: false, kind: 'limit', message };
  if (cause instanceof RefusedTag || error instanceof RefusedTag) return { ok: false, kind: 'syntax', message };
  if (error instanceof RangeError) return { ok: false, kind: 'limit', message: `the render ran out of room (${message})` };
  if (isLiquidLimit(message)) return { ok: false, kind: 'limit', message };
  return { ok: false, kind, message };
}

const withDefaults = (limits: SandboxLimits): Required<SandboxLimits> => ({
  parseChars: limits.parseChars ?? DEFAULT_PARSE_CHARS,
  renderMs: limits.renderMs ?? DEFAULT_RENDER_MS,
  memoryUnits: limits.memoryUnits ?? DEFAULT_MEMORY_UNITS,
  outputChars: limits.outputChars ?? MAX_OUTPUT_CHARS,
});
