import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument, type Tags } from 'yaml';
import { lineAtOffset } from '../generic/decode-text.js';
import { MAX_YAML_NODES, yamlFlowDepthOffset, yamlNodeBudgetOffset } from '../generic/yaml-depth.js';
import type { ParseIssue } from '../parser.js';
import { blockNodeAtPointer, readBlockYaml } from './block-yaml.js';

/** How a compose tag changes merging at a path: `!reset` removes, `!override` replaces. */
export type MergeTag = 'reset' | 'override';

/** A compose YAML file turned into plain data, with what is needed to point back into it. */
export interface ComposeYaml {
  /** The document as plain data (merge keys applied); null when unusable. */
  readonly value: unknown;
  /** JSON pointer → `!reset`/`!override` tag found there. */
  readonly tags: ReadonlyMap<string, MergeTag>;
  readonly errors: readonly ParseIssue[];
  readonly warnings: readonly ParseIssue[];
  /** 1-based line of the YAML node at a JSON pointer (or of its nearest ancestor). */
  lineOf(pointer: string): number;
}

const tooManyNodesMessage = `YAML has more than ${MAX_YAML_NODES} nodes outside plain block style; not parsed`;

/** Alias expansion cap: a "billion laughs" document fails instead of exhausting memory. */
const MAX_ALIAS_COUNT = 10_000;

const COMPOSE_TAGS: Tags = ['!reset', '!override'].flatMap((tag) => [
  { tag, resolve: (source: string) => source },
  { tag, collection: 'map' as const, resolve: (node: Node) => node },
  { tag, collection: 'seq' as const, resolve: (node: Node) => node },
]);

/** Escapes one JSON pointer segment (RFC 6901). */
export const pointerSegment = (key: string | number) => String(key).replace(/~/g, '~0').replace(/\//g, '~1');
const unescapeSegment = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** How `loadComposeYaml` reads. */
export interface ComposeYamlOptions {
  /** Try the block reader before the full YAML parse (default true); false checks the two agree. */
  readonly blockReader?: boolean;
}

/** Loads compose YAML with merge keys, the compose tags and an alias cap. */
export function loadComposeYaml(text: string, file?: string, options: ComposeYamlOptions = {}): ComposeYaml {
  const at = (message: string, line: number): ParseIssue => (file ? { message, line, file } : { message, line });
  const tooDeep = yamlFlowDepthOffset(text);
  if (tooDeep >= 0) {
    return { value: null, tags: new Map(), errors: [at('YAML is nested too deeply', lineAtOffset(text, tooDeep))], warnings: [], lineOf: () => 1 };
  }
  // Most compose files are plain block YAML, which the block reader handles
  // many times faster than a full document parse; it declines everything
  // else, and the full parse below gives the same result for what it accepts.
  const block = options.blockReader === false ? undefined : readBlockYaml(text);
  if (block) {
    return { value: block.value, tags: new Map(), errors: [], warnings: [], lineOf: (pointer) => blockNodeAtPointer(block.root, pointer).line };
  }
  // Beyond the block subset the `yaml` library parses, which takes seconds on very large files.
  const tooMany = yamlNodeBudgetOffset(text);
  if (tooMany >= 0) {
    return { value: null, tags: new Map(), errors: [at(tooManyNodesMessage, lineAtOffset(text, tooMany))], warnings: [], lineOf: () => 1 };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { merge: true, customTags: COMPOSE_TAGS, lineCounter, prettyErrors: false, uniqueKeys: false });
  const lineAt = (offset: number) => lineCounter.linePos(offset).line;
  const errors = doc.errors.map((e) => at(e.message.split('\n')[0]!, lineAt(e.pos[0])));
  const warnings = doc.warnings.map((e) => at(e.message.split('\n')[0]!, lineAt(e.pos[0])));
  let value: unknown = null;
  if (errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (e) {
      errors.push(at((e as Error).message, 1));
    }
  }
  const tags = new Map<string, MergeTag>();
  const duplicates: number[] = [];
  walkTree(doc.contents, '', tags, duplicates);
  // Checked here rather than by the library's `uniqueKeys`, whose check is quadratic in the map size.
  for (const offset of duplicates) errors.push(at('Map keys must be unique', lineAt(offset)));
  const lineOf = (pointer: string) => {
    const node = nodeAtPointer(doc.contents, pointer);
    return node?.range ? lineAt(node.range[0]) : 1;
  };
  return { value, tags, errors, warnings, lineOf };
}

/** Collects the compose tags by pointer and the offsets of duplicate map keys. */
function walkTree(node: unknown, pointer: string, tags: Map<string, MergeTag>, duplicates: number[]): void {
  if (isScalar(node) || isMap(node) || isSeq(node)) {
    if (node.tag === '!reset') tags.set(pointer, 'reset');
    if (node.tag === '!override') tags.set(pointer, 'override');
  }
  if (isMap(node)) {
    const seen = new Set<unknown>();
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? pair.key.value : pair.key;
      if (seen.has(key) && key !== '<<' && isScalar(pair.key) && pair.key.range) duplicates.push(pair.key.range[0]);
      seen.add(key);
      if (typeof key === 'string' || typeof key === 'number') walkTree(pair.value, `${pointer}/${pointerSegment(key)}`, tags, duplicates);
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) walkTree(node.items[i], `${pointer}/${i}`, tags, duplicates);
  }
}

/** Key → value node of a YAML map, built once per map so lookups stay linear overall. */
const mapIndexes = new WeakMap<object, Map<string, unknown>>();

function mapIndex(map: { items: unknown[] }): Map<string, unknown> {
  let index = mapIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) if (isPair(pair) && isScalar(pair.key) && !index.has(String(pair.key.value))) index.set(String(pair.key.value), pair.value);
    mapIndexes.set(map, index);
  }
  return index;
}

/** Follows a JSON pointer through the YAML tree; stops at the deepest node it can reach. */
function nodeAtPointer(root: unknown, pointer: string): Node | undefined {
  let node = root as Node | undefined;
  for (const segment of pointer.split('/').slice(1).map(unescapeSegment)) {
    let next: unknown;
    if (isMap(node)) next = mapIndex(node).get(segment);
    else if (isSeq(node)) next = node.items[Number(segment)];
    if (!next || typeof next !== 'object' || !('range' in next)) break;
    node = next as Node;
  }
  return node;
}
