/**
 * Seals the dependency graph: its node names and edges are derived from
 * file contents (compose service and container names, upstreams, server
 * names, included paths), and earlier versions kept them in clear, one row
 * per node and edge. Each device's derived and manual graphs become one
 * sealed value each in `dependency_graphs`, and the clear tables are
 * dropped (on SQLite with `secure_delete`, so their pages are zeroed, not
 * left in the free list). Needs the master key ring when there is a graph
 * to carry over.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { ConfwatchError } from '../../errors.js';
import { sealGraph } from '../dependency-edges.js';
import { type EdgeSource, type GraphEdge, type GraphNode, kindOfId } from '../graph-model.js';
import type { KeyRing } from '../keyring.js';
import { SealedJson } from '../sealed-json.js';
import type { DialectName } from '../tables.js';

interface ClearNode {
  device: string;
  id: string;
  name: string;
  source: string;
}

interface ClearEdge {
  device: string;
  from_node: string;
  to_node: string;
  kind: string;
  source: string;
  source_path: string | null;
}

export const sealedGraphMigration = (dialect: DialectName, keys: KeyRing | undefined): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('dependency_graphs')
      .addColumn('device', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('graph', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('dependency_graphs_pk', ['device', 'source'])
      .execute();
    const { rows: nodes } = await sql<ClearNode>`select device, id, name, source from dependency_nodes`.execute(db);
    const { rows: edges } = await sql<ClearEdge>`select device, from_node, to_node, kind, source, source_path from dependency_edges`.execute(db);
    if (nodes.length + edges.length > 0) {
      if (!keys) throw new ConfwatchError('CW_ERR_NOT_INITIALISED', 'sealing the stored dependency graph needs the master key: open the store with it');
      const sealer = new SealedJson(keys);
      const at = new Date().toISOString();
      for (const [key, graph] of group(nodes, edges)) {
        const [device, source] = key.split('\u0000') as [string, EdgeSource];
        const sealed = sealGraph(sealer, device, source, graph);
        await sql`insert into dependency_graphs (device, source, graph, updated_at) values (${device}, ${source}, ${sealed}, ${at})`.execute(db);
      }
    }
    if (dialect === 'sqlite') await sql`pragma secure_delete = on`.execute(db);
    await db.schema.dropTable('dependency_nodes').execute();
    await db.schema.dropTable('dependency_edges').execute();
    if (dialect === 'sqlite') await sql`pragma secure_delete = off`.execute(db);
  },
});

/** The clear rows as one graph per device and source (`derived` or `manual`). */
function group(nodes: readonly ClearNode[], edges: readonly ClearEdge[]): Map<string, { nodes: GraphNode[]; edges: GraphEdge[] }> {
  const graphs = new Map<string, { nodes: GraphNode[]; edges: GraphEdge[] }>();
  const of = (device: string, source: string) => {
    const key = `${device}\u0000${source === 'manual' ? 'manual' : 'derived'}`;
    const graph = graphs.get(key) ?? { nodes: [], edges: [] };
    graphs.set(key, graph);
    return graph;
  };
  for (const n of nodes) of(n.device, n.source).nodes.push({ id: n.id, kind: kindOfId(n.id), name: n.name });
  for (const e of edges) {
    const source: EdgeSource = e.source === 'manual' ? 'manual' : 'derived';
    of(e.device, source).edges.push({ from: e.from_node, to: e.to_node, kind: e.kind, source, sourcePath: e.source_path });
  }
  return graphs;
}
