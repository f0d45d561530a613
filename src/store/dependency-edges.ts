/**
 * The dependency graph's repository over the `dependency_graphs` table
 * (SQLite and PostgreSQL alike). Node names and edges come from file
 * contents (service, container and host names, server names, included
 * paths), so each device's graph is stored sealed, as two values: the
 * derived graph, replaced wholesale on each rebuild, and the manual one
 * (`confwatch deps add`), which survives rebuilds. Queries open both and
 * walk the graph in memory (see graph-queries.ts for why); nothing is
 * looked up by name in SQL. Deriving the graph from parsed files is
 * analysis's work; this repository only persists it.
 */
import type { Kysely } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { type EdgeSource, type GraphData, type GraphEdge, type GraphNode, kindOfId, nodeId } from './graph-model.js';
import { DependencyGraph } from './graph-queries.js';
import { SEALED_GRAPH_COLUMNS, sealedColumnName } from './sealed-columns.js';
import type { SealedJson } from './sealed-json.js';
import type { Database } from './tables.js';

/** How one graph is stored: nodes as `[id, name]`, edges as `[from, to, kind, sourcePath]` (the kind of a node is in its id). */
interface StoredGraph {
  readonly nodes: readonly (readonly [string, string])[];
  readonly edges: readonly (readonly [string, string, string, string | null])[];
}

const EMPTY: GraphData = { nodes: [], edges: [] };

const place = (device: string, source: EdgeSource) => ({
  column: sealedColumnName(SEALED_GRAPH_COLUMNS.table, 'graph'),
  row: [device, source],
});

const stored = (graph: GraphData): StoredGraph => ({
  nodes: graph.nodes.map((n) => [n.id, n.name]),
  edges: graph.edges.map((e) => [e.from, e.to, e.kind, e.sourcePath]),
});

/** The stored form of one of a device's graphs (also what migration 0011 writes). */
export function sealGraph(sealer: SealedJson, device: string, source: EdgeSource, graph: GraphData): string {
  return sealer.seal(stored(graph), place(device, source)) as string;
}

export class DependencyEdgeStore {
  readonly #db: Kysely<Database>;
  readonly #sealed: SealedJson;
  readonly #now: () => Date;

  constructor(store: { readonly db: Kysely<Database>; readonly sealed: SealedJson }, options: { now?: () => Date } = {}) {
    this.#db = store.db;
    this.#sealed = store.sealed;
    this.#now = options.now ?? (() => new Date());
  }

  /** Replaces a device's derived graph; manual edges and nodes are kept (a manual edge that is also derived stays manual). */
  async replaceDerived(device: string, graph: GraphData): Promise<void> {
    const sealed = (await this.#sealed.sealLarge(stored(graph), place(device, 'derived'))) as string;
    const at = this.#now().toISOString();
    await this.#db
      .insertInto('dependency_graphs')
      .values({ device, source: 'derived', graph: sealed, updated_at: at })
      .onConflict((oc) => oc.columns(['device', 'source']).doUpdateSet({ graph: sealed, updated_at: at }))
      .execute();
  }

  /** The device's whole graph (derived and manual). */
  async load(device: string): Promise<DependencyGraph> {
    const rows = await this.#db.selectFrom('dependency_graphs').select(['source', 'graph']).where('device', '=', device).execute();
    const stored = (source: EdgeSource) => {
      const row = rows.find((r) => r.source === source);
      return row ? this.#open(device, source, row.graph) : EMPTY;
    };
    return new DependencyGraph(merge(stored('derived'), stored('manual')));
  }

  /**
   * Adds a manual edge "from depends on to". Names resolve to the node of
   * that name (or id); an unknown name becomes a manual node. Rejects
   * CW_ERR_USAGE when a name matches several nodes (the message lists their ids).
   */
  async addManual(device: string, from: string, to: string, kind = 'depends_on'): Promise<GraphEdge> {
    let added: GraphEdge | undefined;
    await this.#updateManual(device, (graph, manual) => {
      const [fromNode, toNode] = [resolveNode(graph, from), resolveNode(graph, to)];
      added = { from: fromNode.id, to: toNode.id, kind, source: 'manual', sourcePath: null };
      const edge = added;
      return {
        nodes: [...manual.nodes.filter((n) => n.id !== fromNode.id && n.id !== toNode.id), fromNode, toNode],
        edges: [...manual.edges.filter((e) => !sameEdge(e, edge)), edge],
      };
    });
    return added as GraphEdge;
  }

  /**
   * Removes manual edges between two nodes (of one kind when given) and
   * manual nodes left without manual edges. Returns how many edges were
   * removed; derived edges are never touched.
   */
  async removeManual(device: string, from: string, to: string, kind?: string): Promise<number> {
    let removed = 0;
    await this.#updateManual(device, (graph, manual) => {
      const fromIds = new Set(graph.find(from).map((n) => n.id));
      const toIds = new Set(graph.find(to).map((n) => n.id));
      const edges = manual.edges.filter((e) => !(fromIds.has(e.from) && toIds.has(e.to) && (kind === undefined || e.kind === kind)));
      removed = manual.edges.length - edges.length;
      if (removed === 0) return undefined;
      const linked = new Set(edges.flatMap((e) => [e.from, e.to]));
      return { nodes: manual.nodes.filter((n) => linked.has(n.id)), edges };
    });
    return removed;
  }

  /**
   * Read, change and write the manual graph; the write applies only if the
   * stored value is still the one read (a concurrent change or a key
   * rotation wins, and the change is made again on what it wrote: each
   * lost round means another writer finished). `change` returns undefined
   * when there is nothing to write.
   */
  async #updateManual(device: string, change: (graph: DependencyGraph, manual: GraphData) => GraphData | undefined): Promise<void> {
    for (;;) {
      const graph = await this.load(device);
      const row = await this.#db
        .selectFrom('dependency_graphs')
        .select('graph')
        .where('device', '=', device)
        .where('source', '=', 'manual')
        .executeTakeFirst();
      const next = change(graph, row ? this.#open(device, 'manual', row.graph) : EMPTY);
      if (next === undefined) return;
      const sealed = sealGraph(this.#sealed, device, 'manual', next);
      const at = this.#now().toISOString();
      const result = row
        ? await this.#db
            .updateTable('dependency_graphs')
            .set({ graph: sealed, updated_at: at })
            .where('device', '=', device)
            .where('source', '=', 'manual')
            .where('graph', '=', row.graph)
            .executeTakeFirst()
            .then((r) => Number(r.numUpdatedRows))
        : await this.#db
            .insertInto('dependency_graphs')
            .values({ device, source: 'manual', graph: sealed, updated_at: at })
            .onConflict((oc) => oc.columns(['device', 'source']).doNothing())
            .executeTakeFirst()
            .then((r) => Number(r.numInsertedOrUpdatedRows ?? 0));
      if (result > 0) return;
    }
  }

  #open(device: string, source: EdgeSource, sealed: string): GraphData {
    const opened = this.#sealed.open<StoredGraph>(sealed, place(device, source)) ?? { nodes: [], edges: [] };
    return {
      nodes: opened.nodes.map(([id, name]) => ({ id, kind: kindOfId(id), name })),
      edges: opened.edges.map(([from, to, kind, sourcePath]) => ({ from, to, kind, source, sourcePath })),
    };
  }
}

const edgeKey = (e: GraphEdge): string => `${e.from}\u0000${e.to}\u0000${e.kind}`;
const sameEdge = (a: GraphEdge, b: GraphEdge): boolean => edgeKey(a) === edgeKey(b);

/** Both graphs as one, ordered by id and by edge; an edge both derived and manual is listed once, as manual. */
function merge(derived: GraphData, manual: GraphData): GraphData {
  const nodes = new Map<string, GraphNode>();
  for (const n of [...manual.nodes, ...derived.nodes]) nodes.set(n.id, n);
  const edges = new Map<string, GraphEdge>();
  for (const e of [...derived.edges, ...manual.edges]) edges.set(edgeKey(e), e);
  const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    nodes: [...nodes.values()].sort((a, b) => byKey(a.id, b.id)),
    edges: [...edges.entries()].sort(([a], [b]) => byKey(a, b)).map(([, e]) => e),
  };
}

function resolveNode(graph: DependencyGraph, selector: string): GraphNode {
  const found = graph.find(selector);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new ConfwatchError('CW_ERR_USAGE', `"${selector}" names several nodes (${found.map((n) => n.id).join(', ')}); give one of these ids instead.`);
  }
  return { id: nodeId('manual', selector), kind: 'manual', name: selector };
}
