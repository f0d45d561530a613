/**
 * Transitive queries over one device's graph, in memory. A device's graph
 * is small (tens to a few thousand edges) and is loaded with one query, so
 * a breadth-first search with a visited set is simpler than a recursive
 * CTE, runs the same on SQLite and PostgreSQL, and is cycle-safe by
 * construction.
 */
import { type GraphData, type GraphEdge, type GraphNode, kindOfId, nameOfId } from './graph-model.js';

export class DependencyGraph {
  readonly #nodes = new Map<string, GraphNode>();
  readonly #out = new Map<string, string[]>();
  readonly #in = new Map<string, string[]>();
  readonly edges: readonly GraphEdge[];

  constructor(data: GraphData) {
    for (const n of data.nodes) this.#nodes.set(n.id, n);
    this.edges = data.edges;
    for (const e of data.edges) {
      for (const id of [e.from, e.to]) if (!this.#nodes.has(id)) this.#nodes.set(id, placeholder(id));
      push(this.#out, e.from, e.to);
      push(this.#in, e.to, e.from);
    }
  }

  /** Every node, edges' endpoints included. */
  get nodes(): GraphNode[] {
    return [...this.#nodes.values()];
  }

  /** Nodes a selector names: an exact node id, else every node with that name. */
  find(selector: string): GraphNode[] {
    const exact = this.#nodes.get(selector);
    if (exact) return [exact];
    return this.nodes.filter((n) => n.name === selector);
  }

  /** What the selected nodes depend on, transitively (the selected nodes excluded). */
  upstream(selector: string | readonly string[]): GraphNode[] {
    return this.#reach(this.#ids(selector), this.#out);
  }

  /** What depends on the selected nodes, transitively (the selected nodes excluded). */
  downstream(selector: string | readonly string[]): GraphNode[] {
    return this.#reach(this.#ids(selector), this.#in);
  }

  #ids(selector: string | readonly string[]): string[] {
    const selectors = typeof selector === 'string' ? [selector] : selector;
    return selectors.flatMap((s) => this.find(s).map((n) => n.id));
  }

  #reach(start: readonly string[], adjacency: Map<string, string[]>): GraphNode[] {
    const seen = new Set(start);
    const found: GraphNode[] = [];
    const queue = [...start];
    while (queue.length > 0) {
      const id = queue.shift()!;
      for (const next of adjacency.get(id) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        found.push(this.#nodes.get(next)!);
        queue.push(next);
      }
    }
    return found;
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A node only known from an edge (e.g. a manual edge to a name not parsed yet). */
function placeholder(id: string): GraphNode {
  return { id, kind: kindOfId(id), name: nameOfId(id) };
}

/** Unique names of nodes, in order (a container and its service may share one). */
export const namesOf = (nodes: readonly GraphNode[]): string[] => [...new Set(nodes.map((n) => n.name))];
