import { describe, expect, it } from 'vitest';
import type { GraphEdge } from './graph-model.js';
import { DependencyGraph, namesOf } from './graph-queries.js';

const edge = (from: string, to: string): GraphEdge => ({ from, to, kind: 'depends_on', source: 'derived', sourcePath: null });

describe('DependencyGraph queries', () => {
  it('terminates on cycles and never lists the start node', () => {
    const g = new DependencyGraph({ nodes: [], edges: [edge('service:a', 'service:b'), edge('service:b', 'service:c'), edge('service:c', 'service:a')] });
    expect(namesOf(g.downstream('a')).sort()).toEqual(['b', 'c']);
    expect(namesOf(g.upstream('a')).sort()).toEqual(['b', 'c']);
  });

  it('follows edges forward for upstream and backward for downstream', () => {
    const g = new DependencyGraph({ nodes: [], edges: [edge('service:web', 'service:db'), edge('service:proxy', 'service:web')] });
    expect(namesOf(g.upstream('web'))).toEqual(['db']);
    expect(namesOf(g.downstream('web'))).toEqual(['proxy']);
    expect(namesOf(g.downstream('db'))).toEqual(['web', 'proxy']);
  });

  it('selects by exact id first, else by every node with the name', () => {
    const g = new DependencyGraph({
      nodes: [],
      edges: [edge('compose:a/web', 'compose:a/db'), edge('compose:b/api', 'compose:b/db')],
    });
    expect(namesOf(g.downstream('compose:a/db'))).toEqual(['web']);
    expect(namesOf(g.downstream('db')).sort()).toEqual(['api', 'web']);
    expect(g.find('missing')).toEqual([]);
    expect(g.find('compose:a/db')[0]).toEqual({ id: 'compose:a/db', kind: 'compose-service', name: 'db' });
  });
});
