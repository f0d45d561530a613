/**
 * Builds a device's dependency graph from the latest parsed version of its
 * files (pure). Edge direction and query semantics: see store/graph-model.ts.
 */
import { posix } from 'node:path';
import picomatch from 'picomatch';
import type { ConfigType } from '../parsers/parser.js';
import { type GraphData, type GraphEdge, type GraphNode, type NodeKind, nodeId } from '../store/graph-model.js';
import { composeFacts } from './facts/compose-facts.js';
import { type Directive, directiveTree, nginxFacts, passHost } from './facts/nginx-facts.js';
import { type PathMapping, toHostPath } from '../transport/path-mapping.js';
import { asRecord, asStrings, asText } from './loose-data.js';
import { composeMountMappings } from './mapped-context.js';
import { composeServiceId } from './node-naming.js';

export interface ParsedFile {
  /** Absolute path on the device. */
  readonly path: string;
  readonly type: ConfigType;
  /** The parser's data; null when the latest version does not parse. */
  readonly parsed: unknown;
}

/** systemd settings that make a dependency edge, and the edge kind. */
const UNIT_EDGES: Record<string, string> = {
  Requires: 'requires',
  Requisite: 'requisite',
  Wants: 'wants',
  BindsTo: 'binds_to',
  PartOf: 'part_of',
  After: 'after',
};

class GraphBuilder {
  readonly nodes = new Map<string, GraphNode>();
  readonly edges = new Map<string, GraphEdge>();
  readonly #files: readonly ParsedFile[];

  constructor(files: readonly ParsedFile[]) {
    this.#files = files;
  }

  node(kind: NodeKind, name: string, id = nodeId(kind, name)): string {
    if (!this.nodes.has(id)) this.nodes.set(id, { id, kind, name });
    return id;
  }

  file(path: string): string {
    return this.node('file', path);
  }

  edge(from: string, to: string, kind: string, sourcePath: string): void {
    if (from === to) return;
    this.edges.set(`${from}\0${to}\0${kind}`, { from, to, kind, source: 'derived', sourcePath });
  }

  /** Known files a path names: itself, the files under it (a mounted directory), or a glob's matches. */
  knownFilesAt(path: string): string[] {
    if (/[*?[]/.test(path)) {
      const match = picomatch(path, { dot: true });
      return this.#files.filter((f) => match(f.path)).map((f) => f.path);
    }
    const dir = path.endsWith('/') ? path : `${path}/`;
    return this.#files.filter((f) => f.path === path || f.path.startsWith(dir)).map((f) => f.path);
  }
}

/**
 * The config types whose parsed data the graph reads; any other file only
 * lends its path (a mounted directory or an include glob reaches it), so
 * callers need not load its parsed data.
 */
export const GRAPH_SOURCE_TYPES: ReadonlySet<ConfigType> = new Set(['compose', 'systemd', 'nginx']);

/**
 * Nodes and derived edges for a device's parsed files. Paths the files name
 * inside containers resolve through `mappings` (the device's and its
 * profiles') and through the bind mounts its compose files declare.
 */
export function buildDependencyGraph(files: readonly ParsedFile[], mappings: readonly PathMapping[] = []): GraphData {
  const g = new GraphBuilder(files);
  const targets = new TargetIndex();
  const composeFiles = files.filter((x) => x.type === 'compose' && x.parsed);
  const allMappings = [...mappings, ...composeFiles.flatMap((f) => composeMountMappings(f.path, f.parsed))];
  for (const f of composeFiles) addCompose(g, f, targets);
  for (const f of files.filter((x) => x.type === 'systemd' && x.parsed)) addUnit(g, f);
  for (const f of files.filter((x) => x.type === 'nginx' && x.parsed)) addNginx(g, f, targets, allMappings);
  return { nodes: [...g.nodes.values()], edges: [...g.edges.values()] };
}

/** Where a proxied host name leads: a container_name first, else compose services of that name. */
class TargetIndex {
  readonly #byName = new Map<string, string[]>();

  add(name: string, id: string): void {
    this.#byName.set(name, [...(this.#byName.get(name) ?? []), id]);
  }

  resolve(host: string): string[] {
    return this.#byName.get(`container:${host}`) ?? this.#byName.get(host) ?? [];
  }
}

function addCompose(g: GraphBuilder, f: ParsedFile, targets: TargetIndex): void {
  const dir = f.path.slice(0, f.path.lastIndexOf('/')) || '/';
  const services = composeFacts(f.parsed).services;
  const serviceId = (name: string) => composeServiceId(f.path, name);
  const containerId = (name: string) => g.node('container', name);
  for (const s of Object.values(services)) {
    const id = g.node('compose-service', s.name, serviceId(s.name));
    targets.add(s.name, id);
    g.edge(id, g.file(f.path), 'defined_in', f.path);
    if (s.containerName) {
      const container = containerId(s.containerName);
      targets.add(`container:${s.containerName}`, container);
      g.edge(container, id, 'container_of', f.path);
    }
    for (const dep of s.dependsOn) g.edge(id, g.node('compose-service', dep, serviceId(dep)), 'depends_on', f.path);
    for (const link of s.links) g.edge(id, g.node('compose-service', link, serviceId(link)), 'links', f.path);
    const mode = s.networkMode?.match(/^(service|container):(.+)$/);
    if (mode) g.edge(id, mode[1] === 'service' ? g.node('compose-service', mode[2]!, serviceId(mode[2]!)) : containerId(mode[2]!), 'network_mode', f.path);
    for (const from of s.volumesFrom) {
      const container = from.match(/^container:(.+)$/);
      g.edge(id, container ? containerId(container[1]!) : g.node('compose-service', from, serviceId(from)), 'volumes_from', f.path);
    }
    for (const env of s.envFiles) g.edge(id, g.file(posix.resolve(dir, env)), 'environment_file', f.path);
    for (const v of s.volumes.filter((x) => x.type === 'bind' && x.source)) {
      const source = v.source.startsWith('/') ? v.source : v.source.startsWith('~') ? v.source : posix.resolve(dir, v.source);
      const known = g.knownFilesAt(source);
      const mounted = known.length > 0 ? known : /\.[A-Za-z0-9]+$/.test(source) ? [source] : [];
      for (const path of mounted) g.edge(id, g.file(path), 'mounts', f.path);
    }
  }
}

function addUnit(g: GraphBuilder, f: ParsedFile): void {
  const data = asRecord(f.parsed);
  const name = asText(data.name) ?? f.path.slice(f.path.lastIndexOf('/') + 1);
  // A drop-in (`x.service.d/y.conf`) belongs to its unit.
  const unitName = f.path.match(/\/([^/]+)\.d\/[^/]+\.conf$/)?.[1] ?? name;
  const id = g.node('unit', unitName);
  g.edge(id, g.file(f.path), 'defined_in', f.path);
  const deps = asRecord(data.dependencies);
  for (const [key, kind] of Object.entries(UNIT_EDGES)) for (const dep of asStrings(deps[key])) g.edge(id, g.node('unit', dep), kind, f.path);
  for (const env of asStrings(data.environmentFiles)) g.edge(id, g.file(env.replace(/^-/, '')), 'environment_file', f.path);
  for (const dropIn of asStrings(data.dropIns)) g.edge(id, g.file(dropIn), 'drop_in', f.path);
}

/** Directives naming a file nginx reads (certificates, keys, password files). */
const FILE_DIRECTIVES: ReadonlySet<string> = new Set([
  'ssl_certificate',
  'ssl_certificate_key',
  'ssl_trusted_certificate',
  'ssl_client_certificate',
  'ssl_dhparam',
  'auth_basic_user_file',
]);
/** Directives naming a directory nginx serves files from. */
const DIRECTORY_DIRECTIVES: ReadonlySet<string> = new Set(['root', 'alias']);

function addNginx(g: GraphBuilder, f: ParsedFile, targets: TargetIndex, mappings: readonly PathMapping[]): void {
  const facts = nginxFacts(f.parsed);
  const dir = f.path.slice(0, f.path.lastIndexOf('/')) || '/';
  const fileId = g.file(f.path);
  const hostPath = (arg: string) => (arg.startsWith('/') ? toHostPath(arg, mappings, f.path) : posix.resolve(dir, arg));
  const includeTargets = (arg: string) => {
    const path = hostPath(arg);
    const known = g.knownFilesAt(path);
    return known.length > 0 ? known : /[*?[]/.test(path) ? [] : [path];
  };
  for (const inc of facts.includes) for (const path of includeTargets(inc)) g.edge(fileId, g.file(path), 'includes', f.path);
  const walk = (list: readonly Directive[]) => {
    for (const d of list) {
      const arg = d.args[0];
      // includes inside servers and locations too: a proxy conf depends on every snippet it pulls in
      if (arg && d.directive === 'include') for (const path of includeTargets(arg)) g.edge(fileId, g.file(path), 'includes', f.path);
      if (arg && !arg.includes('$') && FILE_DIRECTIVES.has(d.directive)) g.edge(fileId, g.file(hostPath(arg)), 'uses_file', f.path);
      if (arg && !arg.includes('$') && DIRECTORY_DIRECTIVES.has(d.directive)) {
        for (const path of g.knownFilesAt(hostPath(arg))) g.edge(fileId, g.file(path), 'serves', f.path);
      }
      if (d.block) walk(d.block);
    }
  };
  walk(directiveTree(f.parsed));
  const upstreamId = (name: string) => {
    const id = g.node('upstream', name);
    for (const target of targets.resolve(name)) g.edge(id, target, 'resolves_to', f.path);
    return id;
  };
  for (const [name, servers] of Object.entries(facts.upstreams)) {
    const id = upstreamId(name);
    for (const address of servers) {
      const host = address.replace(/^unix:.*$/, '').replace(/:\d+$/, '');
      if (host) for (const target of targets.resolve(host)) g.edge(id, target, 'resolves_to', f.path);
    }
  }
  for (const server of facts.servers) {
    const id = g.node('nginx-server', server.names[0] ?? '_');
    g.edge(id, fileId, 'defined_in', f.path);
    for (const inc of server.includes) for (const path of includeTargets(inc)) g.edge(id, g.file(path), 'includes', f.path);
    const passes = [server.proxyPass, ...server.locations.map((l) => l.proxyPass)].flatMap((p) => (p ? [p] : []));
    const hosts = new Set([...passes.flatMap((p) => passHost(p) ?? []), ...(server.upstreamApp ? [server.upstreamApp] : [])]);
    for (const host of hosts) if (!host.includes('$')) g.edge(id, upstreamId(host), 'proxies_to', f.path);
  }
}
