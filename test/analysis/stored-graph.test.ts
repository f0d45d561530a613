import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Services } from '../../src/services/services.js';
import { openInitialisedServices, tempHome } from '../helpers/cli.js';

/** The graph rebuilt from a scanned device: parsed compose files, and the paths of the device's other files. */
describe('dependency graph rebuilt from the stored device files', () => {
  const t = tempHome();
  const root = join(t.home, '..', 'host');
  let services: Services;

  beforeAll(async () => {
    mkdirSync(join(root, 'stack', 'conf'), { recursive: true });
    mkdirSync(join(root, 'stack', 'empty'), { recursive: true });
    writeFileSync(
      join(root, 'stack', 'compose.yaml'),
      'services:\n  app:\n    image: example/app:1\n    volumes:\n      - ./conf:/etc/app:ro\n      - ./empty:/srv/empty\n  db:\n    image: postgres:16\n    depends_on: [app]\n',
    );
    writeFileSync(join(root, 'stack', 'conf', 'a.ini'), 'a=1\n');
    writeFileSync(join(root, 'stack', 'conf', 'b.ini'), 'b=2\n');
    services = await openInitialisedServices(t.home);
    await services.devices.add({ name: 'g', local: true, watch: [`${root}/stack/**`] });
    await services.monitoring.scan('g');
    await services.analysis.idle();
  });
  afterAll(async () => {
    await services?.close();
    t.remove();
  });

  it('links a mounted directory to the generic files stored under it', async () => {
    const graph = await services.dependencies.load('g');
    const mounts = graph.edges.filter((e) => e.kind === 'mounts').map((e) => e.to);
    expect(mounts.sort()).toEqual([`file:${join(root, 'stack', 'conf', 'a.ini')}`, `file:${join(root, 'stack', 'conf', 'b.ini')}`]);
  });

  it('derives the compose edges from the stored parsed version', async () => {
    const graph = await services.dependencies.load('g');
    expect(graph.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`)).toContain('compose:stack/db -depends_on-> compose:stack/app');
  });
});
