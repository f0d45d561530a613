import { describe, expect, it } from 'vitest';
import { buildDependencyGraph } from '../../src/analysis/dependency-graph.js';
import { DependencyGraph, namesOf } from '../../src/store/graph-queries.js';
import { parsedFixture } from './deps-fixture.js';

const graph = new DependencyGraph(buildDependencyGraph(parsedFixture()));
const down = (s: string) => namesOf(graph.downstream(s)).sort();
const up = (s: string) => namesOf(graph.upstream(s)).sort();

describe('dependency graph of the compose+nginx+systemd fixture', () => {
  it('derives compose, nginx and systemd edges with their kinds', () => {
    const edges = graph.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`);
    expect(edges).toEqual(
      expect.arrayContaining([
        'compose:app/web -depends_on-> compose:app/db',
        'compose:app/worker -network_mode-> compose:app/web',
        'container:app-web -container_of-> compose:app/web',
        'compose:app/db -mounts-> file:/opt/stacks/app/db.conf',
        'nginx:app.example.com -proxies_to-> upstream:app-web',
        'upstream:app-web -resolves_to-> container:app-web',
        'nginx:api.example.com -proxies_to-> upstream:api_backend',
        'upstream:api_backend -resolves_to-> compose:app/web',
        'unit:app-stack.service -requires-> unit:docker.service',
        'unit:app-stack.service -environment_file-> file:/opt/stacks/app/.env',
        'unit:backup.service -wants-> unit:app-stack.service',
      ]),
    );
    expect(graph.edges.every((e) => e.source === 'derived')).toBe(true);
  });

  it('answers transitive downstream across compose, nginx and systemd', () => {
    expect(down('db')).toEqual(['api.example.com', 'api_backend', 'app-web', 'app.example.com', 'web', 'worker']);
    expect(down('/opt/stacks/app/db.conf')).toEqual(['api.example.com', 'api_backend', 'app-web', 'app.example.com', 'db', 'web', 'worker']);
    expect(down('docker.service')).toEqual(['app-stack.service', 'backup.service']);
    expect(down('app.example.com')).toEqual([]);
  });

  it('answers transitive upstream', () => {
    expect(up('app.example.com')).toEqual(
      expect.arrayContaining(['app-web', 'web', 'db', '/opt/stacks/app/db.conf', '/config/nginx/proxy-confs/app.subdomain.conf']),
    );
    expect(up('backup.service')).toEqual(expect.arrayContaining(['app-stack.service', 'docker.service', 'network-online.target', '/opt/stacks/app/.env']));
    expect(up('backup.service')).not.toContain('backup.service');
  });
});
