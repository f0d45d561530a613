/**
 * A layered (Sugiyama-style) layout for the dependency graph: each node's
 * layer is the length of the longest dependency chain below it, so an edge
 * "from depends on to" always points downwards; cycles are broken at the
 * edge that closes them. Nodes inside a layer are ordered by the average
 * position of their neighbours (a few up/down sweeps), which keeps most
 * edges from crossing. Pure: ids in, coordinates out.
 */

export interface LayoutInput {
  readonly nodes: readonly { readonly id: string }[];
  readonly edges: readonly { readonly from: string; readonly to: string }[];
}

export interface PlacedNode {
  readonly id: string;
  /** 0 = top (nothing depends on it through a longer chain). */
  readonly layer: number;
  /** Centre of the node. */
  readonly x: number;
  readonly y: number;
}

export interface Layout {
  readonly nodes: ReadonlyMap<string, PlacedNode>;
  readonly width: number;
  readonly height: number;
}

export interface LayoutOptions {
  /** Horizontal distance between node centres. Default 180. */
  readonly columnGap?: number;
  /** Vertical distance between layers. Default 90. */
  readonly rowGap?: number;
  /** Ordering sweeps. Default 4. */
  readonly sweeps?: number;
}

export function layoutGraph(input: LayoutInput, options: LayoutOptions = {}): Layout {
  const columnGap = options.columnGap ?? 180;
  const rowGap = options.rowGap ?? 90;
  const ids = input.nodes.map((n) => n.id);
  const known = new Set(ids);
  const edges = input.edges.filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to);
  const depth = depthBelow(ids, edges);
  const maxDepth = Math.max(0, ...depth.values());
  // Layer from the top: the deepest chains start at layer 0.
  const layers: string[][] = Array.from({ length: maxDepth + 1 }, () => []);
  for (const id of ids) (layers[maxDepth - (depth.get(id) ?? 0)] as string[]).push(id);
  orderLayers(layers, edges, options.sweeps ?? 4);

  const widest = Math.max(1, ...layers.map((l) => l.length));
  const width = widest * columnGap;
  const nodes = new Map<string, PlacedNode>();
  for (const [index, layer] of layers.entries()) {
    const offset = (width - layer.length * columnGap) / 2 + columnGap / 2;
    for (const [position, id] of layer.entries()) nodes.set(id, { id, layer: index, x: offset + position * columnGap, y: rowGap / 2 + index * rowGap });
  }
  return { nodes, width, height: layers.length * rowGap };
}

/** Longest chain of dependencies below each node, ignoring edges that close a cycle. */
function depthBelow(ids: readonly string[], edges: LayoutInput['edges']): Map<string, number> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const e of edges) out.get(e.from)?.push(e.to);
  const depth = new Map<string, number>();
  const onPath = new Set<string>();
  const visit = (id: string): number => {
    const done = depth.get(id);
    if (done !== undefined) return done;
    if (onPath.has(id)) return -1; // back edge: the cycle is cut here
    onPath.add(id);
    let d = 0;
    for (const next of out.get(id) ?? []) d = Math.max(d, visit(next) + 1);
    onPath.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const id of ids) visit(id);
  return depth;
}

/** Barycentre ordering: alternate sweeps down (by parents) and up (by children). */
function orderLayers(layers: string[][], edges: LayoutInput['edges'], sweeps: number): void {
  const neighbours = (id: string, up: boolean) => edges.filter((e) => (up ? e.to === id : e.from === id)).map((e) => (up ? e.from : e.to));
  const positionOf = new Map<string, number>();
  for (const layer of layers) for (const [i, id] of layer.entries()) positionOf.set(id, i);
  for (let sweep = 0; sweep < sweeps; sweep++) {
    const down = sweep % 2 === 0;
    const order = down ? layers.keys() : [...layers.keys()].reverse();
    for (const l of order) {
      const layer = layers[l] as string[];
      const weight = new Map<string, number>();
      for (const [i, id] of layer.entries()) {
        const near = neighbours(id, down).map((n) => positionOf.get(n) ?? 0);
        weight.set(id, near.length === 0 ? i : near.reduce((a, b) => a + b, 0) / near.length);
      }
      layer.sort((a, b) => (weight.get(a) ?? 0) - (weight.get(b) ?? 0));
      for (const [i, id] of layer.entries()) positionOf.set(id, i);
    }
  }
}
