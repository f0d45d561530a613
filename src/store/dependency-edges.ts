/**
 * The dependency graph's repository over the `dependency_edges` and
 * `dependency_nodes` tables (SQLite and PostgreSQL alike). Derived edges
 * and nodes are replaced wholesale per device on each rebuild; manual ones
 * (`confwatch deps add`) survive. Queries load one device's graph and walk
 * it in memory (see graph-queries.ts for why). Deriving the graph from
 * parsed files is analysis's work; this repository only persists it.
 */
import type { Kysely } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { type EdgeSource, type GraphData, type GraphEdge, type GraphNode, kindOfId, nodeId } from './graph-model.js';
import { DependencyGraph } from './graph-queries.js';
import type { Database, IsoTime } from './tables.js';

/** Columns added by migration 0003, not yet in tables.ts. */
type GraphTables = {
  dependency_edges: { source: string };
  dependency_nodes: { device: string; id: string; kind: string; name: string; source: string; updated_at: IsoTime };
};

/** Rows per INSERT, well under SQLite's bound-parameter limit. */
const CHUNK = 200;

export class DependencyEdgeStore {
  readonly #db: Kysely<Database & GraphTables>;
  readonly #now: () => Date;

  constructor(db: Kysely<Database>, options: { now?: () => Date } = {}) {
    this.#db = db.withTables<GraphTables>();
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Replaces a device's derived graph in one transaction; manual edges and
   * nodes are kept (a manual edge that is also derived stays manual).
   */
  async replaceDerived(device: string, graph: GraphData): Promise<void> {
    const at = this.#now().toISOString();
    await this.#db.transaction().execute(async (trx) => {
      await trx.deleteFrom('dependency_edges').where('device', '=', device).where('source', '=', 'derived').execute();
      await trx.deleteFrom('dependency_nodes').where('device', '=', device).where('source', '=', 'derived').execute();
      for (let i = 0; i < graph.nodes.length; i += CHUNK) {
        const rows = graph.nodes.slice(i, i + CHUNK).map((n) => ({ device, id: n.id, kind: n.kind, name: n.name, source: 'derived', updated_at: at }));
        await trx.insertInto('dependency_nodes').values(rows).onConflict((oc) => oc.columns(['device', 'id']).doNothing()).execute();
      }
      for (let i = 0; i < graph.edges.length; i += CHUNK) {
        const rows = graph.edges.slice(i, i + CHUNK).map((e) => ({
          device,
          from_node: e.from,
          to_node: e.to,
          kind: e.kind,
          source: 'derived',
          source_path: e.sourcePath,
          updated_at: at,
        }));
        await trx
          .insertInto('dependency_edges')
          .values(rows)
          .onConflict((oc) => oc.columns(['device', 'from_node', 'to_node', 'kind']).doNothing())
          .execute();
      }
    });
  }

  /** The device's whole graph (derived and manual). */
  async load(device: string): Promise<DependencyGraph> {
    const [nodes, edges] = await Promise.all([
      this.#db.selectFrom('dependency_nodes').select(['id', 'kind', 'name']).where('device', '=', device).orderBy('id').execute(),
      this.#db
        .selectFrom('dependency_edges')
        .select(['from_node', 'to_node', 'kind', 'source', 'source_path'])
        .where('device', '=', device)
        .orderBy('from_node')
        .orderBy('to_node')
        .orderBy('kind')
        .execute(),
    ]);
    return new DependencyGraph({
      nodes: nodes.map((n) => ({ id: n.id, kind: kindOfId(n.id), name: n.name })),
      edges: edges.map(
        (e): GraphEdge => ({ from: e.from_node, to: e.to_node, kind: e.kind, source: e.source as EdgeSource, sourcePath: e.source_path }),
      ),
    });
  }

  /**
   * Adds a manual edge "from depends on to". Names resolve to the node of
   * that name (or id); an unknown name becomes a manual node. Rejects
   * CW_ERR_USAGE when a name matches several nodes (the message lists their ids).
   */
  async addManual(device: string, from: string, to: string, kind = 'depends_on'): Promise<GraphEdge> {
    const graph = await this.load(device);
    const at = this.#now().toISOString();
    const [fromNode, toNode] = [resolveNode(graph, from), resolveNode(graph, to)];
    await this.#db.transaction().execute(async (trx) => {
      for (const n of [fromNode, toNode]) {
        await trx
          .insertInto('dependency_nodes')
          .values({ device, id: n.id, kind: n.kind, name: n.name, source: 'manual', updated_at: at })
          .onConflict((oc) => oc.columns(['device', 'id']).doNothing())
          .execute();
      }
      await trx
        .insertInto('dependency_edges')
        .values({ device, from_node: fromNode.id, to_node: toNode.id, kind, source: 'manual', source_path: null, updated_at: at })
        .onConflict((oc) => oc.columns(['device', 'from_node', 'to_node', 'kind']).doUpdateSet({ source: 'manual', updated_at: at }))
        .execute();
    });
    return { from: fromNode.id, to: toNode.id, kind, source: 'manual', sourcePath: null };
  }

  /**
   * Removes manual edges between two nodes (of one kind when given) and
   * manual nodes left without edges. Returns how many edges were removed;
   * derived edges are never touched.
   */
  async removeManual(device: string, from: string, to: string, kind?: string): Promise<number> {
    const graph = await this.load(device);
    const fromIds = idsFor(graph, from);
    const toIds = idsFor(graph, to);
    if (fromIds.length === 0 || toIds.length === 0) return 0;
    return this.#db.transaction().execute(async (trx) => {
      let query = trx
        .deleteFrom('dependency_edges')
        .where('device', '=', device)
        .where('source', '=', 'manual')
        .where('from_node', 'in', fromIds)
        .where('to_node', 'in', toIds);
      if (kind !== undefined) query = query.where('kind', '=', kind);
      const result = await query.executeTakeFirst();
      await trx
        .deleteFrom('dependency_nodes')
        .where('device', '=', device)
        .where('source', '=', 'manual')
        .where(({ not, exists, selectFrom, or, eb }) =>
          not(
            exists(
              selectFrom('dependency_edges as e')
                .select('e.kind')
                .where('e.device', '=', device)
                .where((w) => or([w('e.from_node', '=', eb.ref('dependency_nodes.id')), w('e.to_node', '=', eb.ref('dependency_nodes.id'))])),
            ),
          ),
        )
        .execute();
      return Number(result.numDeletedRows);
    });
  }
}

function idsFor(graph: DependencyGraph, selector: string): string[] {
  return graph.find(selector).map((n) => n.id);
}

function resolveNode(graph: DependencyGraph, selector: string): GraphNode {
  const found = graph.find(selector);
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw new ConfwatchError('CW_ERR_USAGE', `"${selector}" names several nodes (${found.map((n) => n.id).join(', ')}); give one of these ids instead.`);
  }
  return { id: nodeId('manual', selector), kind: 'manual', name: selector };
}
