/**
 * The dependency graph's vocabulary. An edge `from → to` always reads
 * "from depends on to": `web → db` (compose depends_on), `app.service →
 * network-online.target` (Requires/After…), `nginx:site → upstream:app →
 * compose:stack/app` (proxying), `compose:stack/app → file:/…/app.conf`
 * (mounted or defining file).
 *
 * - upstream(S): everything S depends on, transitively (follow edges forward);
 * - downstream(S): everything that depends on S, transitively (follow edges
 *   backward) — what a change to S can break.
 */

export type NodeKind = 'compose-service' | 'container' | 'unit' | 'nginx-server' | 'upstream' | 'file' | 'manual';

export interface GraphNode {
  /** Unique per device: `<kind prefix>:<name>`, e.g. `compose:app/web`, `unit:nginx.service`, `file:/etc/x`. */
  readonly id: string;
  readonly kind: NodeKind;
  /** The name the user knows: compose service, container or unit name, server name, path. */
  readonly name: string;
}

/** `derived` edges are rebuilt from parsed files; `manual` ones are the user's and survive rebuilds. */
export type EdgeSource = 'derived' | 'manual';

export interface GraphEdge {
  /** The dependent node's id. */
  readonly from: string;
  /** The id of the node it depends on. */
  readonly to: string;
  /** How: `depends_on`, `requires`, `after`, `proxies_to`, `resolves_to`, `mounts`, `defined_in`, … */
  readonly kind: string;
  readonly source: EdgeSource;
  /** The file the edge was derived from; null for manual edges. */
  readonly sourcePath: string | null;
}

export interface GraphData {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

const PREFIX: Record<NodeKind, string> = {
  'compose-service': 'compose',
  container: 'container',
  unit: 'unit',
  'nginx-server': 'nginx',
  upstream: 'upstream',
  file: 'file',
  manual: 'service',
};

export const nodeId = (kind: NodeKind, name: string): string => `${PREFIX[kind]}:${name}`;

/** The user-facing name in a node id: after the prefix, and after the project for compose services. */
export function nameOfId(id: string): string {
  const name = id.slice(id.indexOf(':') + 1);
  return kindOfId(id) === 'compose-service' ? name.slice(name.indexOf('/') + 1) : name;
}

/** The kind a node id's prefix names; `manual` when unknown. */
export function kindOfId(id: string): NodeKind {
  const prefix = id.slice(0, id.indexOf(':'));
  return (Object.keys(PREFIX) as NodeKind[]).find((k) => PREFIX[k] === prefix) ?? 'manual';
}
