/**
 * Import direction between the folders of src/ (docs/architecture.md,
 * "Layers"). Every relative import of every source file — static, `export
 * … from`, `import()` and `import('…')` types alike — is mapped to the
 * top-level folder on both sides and checked against the table below. A
 * type-only import counts: it couples the layers just the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * For each folder of src/ (and the two root modules), the folders it may
 * import. Lowest first; a folder never appears in the list of anything
 * below it, so the table is acyclic (checked).
 */
const BELOW_SERVICES = ['errors', 'hash', 'logging', 'transport', 'parsers', 'config', 'events', 'store', 'analysis', 'compliance', 'templates', 'compute', 'auth', 'detect', 'validate', 'devices', 'watch', 'writeback', 'alerts', 'archive'];

const ALLOWED: Record<string, readonly string[]> = {
  errors: [],
  hash: [],
  logging: [],
  transport: ['errors', 'hash', 'logging'],
  parsers: ['errors', 'hash', 'logging'],
  config: ['errors', 'hash', 'logging'],
  // the event catalog and bus: every stage publishes, so it sits low and names only paths
  events: ['errors', 'hash', 'logging', 'transport'],
  store: ['errors', 'hash', 'logging', 'transport', 'parsers', 'events'],
  analysis: ['errors', 'hash', 'logging', 'transport', 'parsers', 'store'],
  // rules as data and their evaluation over parsed files (pure, like analysis, and beside it)
  compliance: ['errors', 'hash', 'logging', 'transport', 'parsers'],
  // sandboxed template rendering, variables and the built-ins (pure, run in the pool's workers)
  templates: ['errors', 'hash', 'logging', 'parsers'],
  // the worker pool that runs analysis, compliance and template renders (pure) off the event loop, under a budget
  compute: ['errors', 'hash', 'logging', 'transport', 'parsers', 'store', 'analysis', 'compliance', 'templates'],
  auth: ['errors', 'hash', 'logging', 'config', 'events', 'store'],
  detect: ['errors', 'hash', 'logging', 'transport', 'parsers', 'events', 'store', 'devices'],
  validate: ['errors', 'hash', 'logging', 'transport', 'parsers', 'store'],
  // a device at runtime: its record, profiles and compiled watch set, one shared connection, live state
  devices: ['errors', 'hash', 'logging', 'transport', 'parsers', 'events', 'store'],
  // the supervisor and monitor drive detection, so watch sits above detect
  watch: ['errors', 'hash', 'logging', 'transport', 'parsers', 'events', 'store', 'detect', 'devices'],
  writeback: ['errors', 'hash', 'logging', 'transport', 'parsers', 'events', 'store', 'detect', 'validate', 'devices'],
  // alerts follow the bus, read snapshots and their impact, and redact what they quote
  alerts: ['errors', 'hash', 'logging', 'transport', 'parsers', 'config', 'events', 'store', 'analysis', 'auth'],
  // archives (tar, gzip, encryption) and the git mirror: store records in, redacted bytes out to git
  archive: ['errors', 'hash', 'logging', 'transport', 'parsers', 'events', 'store', 'auth'],
  services: BELOW_SERVICES,
  api: [...BELOW_SERVICES, 'services'],
  cli: [...BELOW_SERVICES, 'services', 'api'],
  // the browser bundle: server code only as types (see WEB_VALUE_IMPORTS)
  web: ['transport', 'parsers', 'events', 'store', 'services', 'api'],
};

/**
 * Imports that go against the table and are accepted for now, as
 * "from → to" (paths under src/) with the reason. Keep this short; an entry
 * that no longer matches an import fails the test.
 */
const EXCEPTIONS: ReadonlyMap<string, string> = new Map<string, string>([]);

/** The only server modules the UI may import values (constants) from; everything else is `import type`. */
const WEB_VALUE_IMPORTS: ReadonlySet<string> = new Set(['events/event-map.ts']);

interface ImportRef {
  readonly specifier: string;
  readonly typeOnly: boolean;
}

/** Every module specifier a source file names, with whether it is erased at runtime. */
function importsOf(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: ImportRef[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : undefined;
      const typeOnly =
        clause !== undefined && (clause.isTypeOnly || (clause.name === undefined && named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly || (named !== undefined && named.length > 0 && named.every((e) => e.isTypeOnly)) });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && ts.isStringLiteralLike(arg)) found.push({ specifier: arg.text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `store/records.ts` → `store`; the root modules `errors.ts` → `errors`. */
function folderOf(pathUnderSrc: string): string {
  const [first = '', ...rest] = pathUnderSrc.split('/');
  return rest.length === 0 ? first.replace(/\.tsx?$/, '') : first;
}

interface Edge {
  /** Both paths relative to src/, with `/` separators. */
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

/** Relative imports between files of src/, targets named by their .ts/.tsx path. */
function collectEdges(): Edge[] {
  const known = new Set(sourceFiles(SRC).map((f) => relative(SRC, f).split(sep).join('/')));
  return [...known].flatMap((from) =>
    importsOf(from, readFileSync(join(SRC, from), 'utf8'))
      .filter((ref) => ref.specifier.startsWith('.'))
      .map((ref): Edge => {
        const target = relative(SRC, resolve(dirname(join(SRC, from)), ref.specifier)).split(sep).join('/');
        const base = target.replace(/\.(js|jsx|ts|tsx)$/, '');
        const to = [`${base}.ts`, `${base}.tsx`, `${base}/index.ts`].find((candidate) => known.has(candidate)) ?? target;
        return { from, to, typeOnly: ref.typeOnly };
      }),
  );
}

const edges = collectEdges();
const crossing = edges.filter((e) => folderOf(e.from) !== folderOf(e.to));
const key = (e: Edge): string => `${e.from} → ${e.to}`;

/** The strongly connected groups of more than one node (or with a self-loop), each sorted. */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const result: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = member === node ? undefined : stack.pop()) {
      onStack.delete(member);
      group.push(member);
    }
    if (group.length > 1 || graph.get(node)?.has(node)) result.push(group.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return result;
}

describe('layers', () => {
  it('finds static, re-exported, dynamic and type-position imports', () => {
    const refs = importsOf(
      'sample.ts',
      [
        "import { a } from './a.js';",
        "import type { B } from '../b.js';",
        "import { type C, type D } from './c.js';",
        "import './side-effect.js';",
        "export { e } from './e.js';",
        "export type { F } from './f.js';",
        "export * from './g.js';",
        "const h = await import('./h.js');",
        "let i: import('./i.js').I;",
        "// import { no } from './comment.js';",
        "const s = \"import { no } from './string.js'\";",
      ].join('\n'),
    );
    expect(refs).toEqual([
      { specifier: './a.js', typeOnly: false },
      { specifier: '../b.js', typeOnly: true },
      { specifier: './c.js', typeOnly: true },
      { specifier: './side-effect.js', typeOnly: false },
      { specifier: './e.js', typeOnly: false },
      { specifier: './f.js', typeOnly: true },
      { specifier: './g.js', typeOnly: false },
      { specifier: './h.js', typeOnly: false },
      { specifier: './i.js', typeOnly: true },
    ]);
  });

  it('reads the source tree', () => {
    // guards against a path mistake turning every check below into a pass over nothing
    expect(crossing.some((e) => e.from === 'store/kysely.store.ts' && e.to === 'errors.ts')).toBe(true);
    expect(crossing.some((e) => e.from.startsWith('web/'))).toBe(true);
  });

  it('places every folder of src/ in the table', () => {
    const folders = new Set(edges.flatMap((e) => [folderOf(e.from), folderOf(e.to)]));
    expect([...folders].filter((f) => !(f in ALLOWED)).sort()).toEqual([]);
    expect(Object.values(ALLOWED).flat().filter((f) => !(f in ALLOWED))).toEqual([]);
  });

  it('keeps the table itself free of cycles', () => {
    const graph = new Map(Object.entries(ALLOWED).map(([folder, allowed]) => [folder, new Set(allowed)]));
    expect(cycles(graph)).toEqual([]);
  });

  it('imports only in the allowed direction', () => {
    const violations = crossing
      .filter((e) => !(ALLOWED[folderOf(e.from)] ?? []).includes(folderOf(e.to)) && !EXCEPTIONS.has(key(e)))
      .map(key);
    expect([...new Set(violations)].sort()).toEqual([]);
  });

  it('has no stale exceptions', () => {
    const present = new Set(crossing.map(key));
    expect([...EXCEPTIONS.keys()].filter((k) => !present.has(k))).toEqual([]);
  });

  it('has no import cycles between folders', () => {
    const graph = new Map<string, Set<string>>();
    for (const e of crossing) {
      const targets = graph.get(folderOf(e.from)) ?? new Set<string>();
      targets.add(folderOf(e.to));
      graph.set(folderOf(e.from), targets);
    }
    expect(cycles(graph)).toEqual([]);
  });

  it('lets the UI take only types (and a few constants) from the server code', () => {
    const values = crossing.filter((e) => folderOf(e.from) === 'web' && !e.typeOnly && !WEB_VALUE_IMPORTS.has(e.to)).map(key);
    expect(values).toEqual([]);
  });
});
