import { describe, expect, it } from 'vitest';
import { layoutGraph } from './graph-layout.js';

const graph = (edges: [string, string][], extra: string[] = []) => {
  const ids = new Set([...edges.flat(), ...extra]);
  return { nodes: [...ids].map((id) => ({ id })), edges: edges.map(([from, to]) => ({ from, to })) };
};

describe('layoutGraph', () => {
  it('puts every dependency below its dependent', () => {
    const edges: [string, string][] = [
      ['nginx:site', 'upstream:app'],
      ['upstream:app', 'compose:app/web'],
      ['compose:app/web', 'compose:app/db'],
      ['nginx:site', 'compose:app/db'],
    ];
    const { nodes } = layoutGraph(graph(edges));
    for (const [from, to] of edges) expect(nodes.get(from)!.y).toBeLessThan(nodes.get(to)!.y);
    expect(nodes.get('nginx:site')!.layer).toBe(0);
    expect(nodes.get('compose:app/db')!.layer).toBe(3);
  });

  it('gives nodes in one layer distinct positions and places isolated nodes', () => {
    const { nodes, width } = layoutGraph(graph([['a', 'x'], ['b', 'x'], ['c', 'x']], ['lonely']));
    const top = ['a', 'b', 'c', 'lonely'].map((id) => nodes.get(id)!);
    expect(new Set(top.map((n) => n.x)).size).toBe(4);
    for (const n of nodes.values()) {
      expect(n.x).toBeGreaterThan(0);
      expect(n.x).toBeLessThan(width);
    }
  });

  it('terminates on cycles and self-loops, placing every node once', () => {
    const { nodes } = layoutGraph(graph([['a', 'b'], ['b', 'c'], ['c', 'a'], ['c', 'c']]));
    expect([...nodes.keys()].sort()).toEqual(['a', 'b', 'c']);
    expect(new Set([...nodes.values()].map((n) => `${n.x},${n.y}`)).size).toBe(3);
  });

  it('orders a layer to avoid crossings', () => {
    // p1 → c1 and p2 → c2, with children listed in the opposite order.
    const { nodes } = layoutGraph({ nodes: [{ id: 'p1' }, { id: 'p2' }, { id: 'c2' }, { id: 'c1' }], edges: [{ from: 'p1', to: 'c1' }, { from: 'p2', to: 'c2' }] });
    const p1Left = nodes.get('p1')!.x < nodes.get('p2')!.x;
    expect(nodes.get('c1')!.x < nodes.get('c2')!.x).toBe(p1Left);
  });
});
