/**
 * A normalised view of a compose file for diffing and the dependency graph.
 * It reads the compose parser's data and equally a raw compose document
 * (short and long syntaxes), so analysis keeps working on any stored
 * version of the parsed data.
 */
import { asArray, asRecord, asStrings, asText, isRecord, type Loose } from '../loose-data.js';

export interface PortFacts {
  /** Host address; empty when the port is published on every interface. */
  readonly hostIp: string;
  /** Host port or range; empty when Docker picks one. */
  readonly published: string;
  readonly target: string;
  readonly protocol: string;
}

export interface VolumeFacts {
  /** `bind`, `volume`, `tmpfs`, … */
  readonly type: string;
  /** Host path (bind) or volume name; empty for anonymous volumes. */
  readonly source: string;
  readonly target: string;
  readonly readOnly: boolean;
}

export interface ComposeServiceFacts {
  readonly name: string;
  readonly image: string | null;
  readonly containerName: string | null;
  readonly ports: readonly PortFacts[];
  /** Variable → value (null when passed through from the host). */
  readonly environment: Readonly<Record<string, string | null>>;
  readonly volumes: readonly VolumeFacts[];
  readonly privileged: boolean;
  readonly dependsOn: readonly string[];
  /** Services named by `links` (aliases dropped). */
  readonly links: readonly string[];
  readonly networkMode: string | null;
  /** `volumes_from` entries without their `:ro`/`:rw` suffix (`service` or `container:name`). */
  readonly volumesFrom: readonly string[];
  readonly capAdd: readonly string[];
  /** `env_file` paths as written (relative to the compose file). */
  readonly envFiles: readonly string[];
  readonly user: string | null;
  readonly restart: string | null;
}

export interface ComposeFacts {
  readonly services: Readonly<Record<string, ComposeServiceFacts>>;
}

/** Finds the services map in compose parser data or a raw compose document. */
function servicesOf(data: unknown): [string, Loose][] {
  const root = asRecord(data);
  const holder = isRecord(root.services) || Array.isArray(root.services) ? root : asRecord(root.project ?? root.value ?? root.config);
  const services = holder.services;
  if (Array.isArray(services)) {
    return services.filter(isRecord).flatMap((s) => (typeof s.name === 'string' ? [[s.name, s] as [string, Loose]] : []));
  }
  return Object.entries(asRecord(services)).map(([name, s]) => [name, asRecord(s)]);
}

export function composeFacts(data: unknown): ComposeFacts {
  const services: Record<string, ComposeServiceFacts> = {};
  for (const [name, raw] of servicesOf(data)) services[name] = serviceFacts(name, raw);
  return { services };
}

function serviceFacts(name: string, s: Loose): ComposeServiceFacts {
  const image = asText(s.image) ?? asText(asRecord(s.image).ref) ?? null;
  const dependsOn = s.depends_on ?? s.dependsOn;
  return {
    name,
    image,
    containerName: asText(s.container_name ?? s.containerName) ?? null,
    ports: asArray(s.ports).flatMap((p) => portFacts(p) ?? []),
    environment: keyValues(s.environment),
    volumes: asArray(s.volumes).flatMap((v) => volumeFacts(v) ?? []),
    privileged: s.privileged === true || s.privileged === 'true',
    dependsOn: Array.isArray(dependsOn) ? namesIn(dependsOn, 'service') : Object.keys(asRecord(dependsOn)),
    links: namesIn(asArray(s.links), 'service').map((l) => l.split(':')[0]!),
    networkMode: asText(s.network_mode ?? s.networkMode) ?? null,
    volumesFrom: asArray(s.volumes_from ?? s.volumesFrom).flatMap((v) => volumesFromEntry(v) ?? []),
    envFiles: namesIn(asArray(s.env_file ?? s.envFiles), 'path'),
    capAdd: asStrings(s.cap_add ?? s.capAdd),
    user: asText(s.user) ?? null,
    restart: asText(s.restart) ?? null,
  };
}

/** Strings of a list, or the `field` of its map items (the parser's normalised form). */
const namesIn = (list: readonly unknown[], field: string): string[] => list.flatMap((x) => asText(x) ?? asText(asRecord(x)[field]) ?? []);

/** `service[:ro]`, `container:name[:ro]`, or the parser's `{source, container}`. */
function volumesFromEntry(v: unknown): string | undefined {
  if (isRecord(v)) {
    const source = asText(v.source);
    return source === undefined ? undefined : v.container === true ? `container:${source}` : source;
  }
  return asText(v)?.replace(/:(ro|rw)$/, '');
}

/** `environment` as a list of `K=V` / `K`, or a map. */
function keyValues(v: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of asStrings(v)) {
      const eq = item.indexOf('=');
      if (eq < 0) out[item] = null;
      else out[item.slice(0, eq)] = item.slice(eq + 1);
    }
  } else {
    for (const [k, value] of Object.entries(asRecord(v))) out[k] = value === null || value === undefined ? null : (asText(value) ?? JSON.stringify(value));
  }
  return out;
}

/** Short syntax `[[IP:]PUBLISHED:]TARGET[/PROTO]` (IPv6 in brackets), or the long syntax map. */
export function portFacts(p: unknown): PortFacts | undefined {
  if (isRecord(p)) {
    const target = asText(p.target);
    if (target === undefined) return undefined;
    return {
      hostIp: asText(p.host_ip ?? p.hostIp) ?? '',
      published: asText(p.published) ?? '',
      target,
      protocol: asText(p.protocol) ?? 'tcp',
    };
  }
  const text = asText(p);
  if (text === undefined) return undefined;
  const slash = text.lastIndexOf('/');
  const protocol = slash >= 0 ? text.slice(slash + 1) : 'tcp';
  let rest = slash >= 0 ? text.slice(0, slash) : text;
  let hostIp = '';
  const bracket = rest.match(/^\[([^\]]*)\]:(.*)$/);
  if (bracket) {
    hostIp = bracket[1]!;
    rest = bracket[2]!;
  }
  const parts = rest.split(':');
  if (parts.length >= 3 && !bracket) hostIp = parts.slice(0, -2).join(':');
  const target = parts.at(-1)!;
  const published = parts.length >= 2 ? parts.at(-2)! : '';
  return { hostIp, published, target, protocol };
}

/** A port reachable from every interface of the host. */
export const isPublicPort = (p: PortFacts): boolean => ['', '0.0.0.0', '::', '[::]'].includes(p.hostIp);

/** A stable text form of a port mapping, used as its identity. */
export const portKey = (p: PortFacts): string => `${p.hostIp ? `${p.hostIp}:` : ''}${p.published ? `${p.published}:` : ''}${p.target}/${p.protocol}`;

/** Short syntax `SOURCE:TARGET[:MODE]` / `TARGET`, or the long syntax map. */
export function volumeFacts(v: unknown): VolumeFacts | undefined {
  if (isRecord(v)) {
    const target = asText(v.target);
    if (target === undefined) return undefined;
    const source = asText(v.source) ?? '';
    return { type: asText(v.type) ?? (isHostPath(source) ? 'bind' : 'volume'), source, target, readOnly: v.read_only === true || v.readOnly === true };
  }
  const text = asText(v);
  if (text === undefined) return undefined;
  const parts = text.split(':');
  if (parts.length === 1) return { type: 'volume', source: '', target: text, readOnly: false };
  const [source, target, mode = ''] = parts as [string, string, string?];
  return { type: isHostPath(source) ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
}

const isHostPath = (source: string): boolean => /^(\/|\.|~)/.test(source);

/** A bind mount of the Docker daemon's socket: root on the host for whoever holds it. */
export const isDockerSocket = (v: VolumeFacts): boolean => /(^|\/)docker\.sock$/.test(v.source) || /(^|\/)docker\.sock$/.test(v.target);

export const volumeKey = (v: VolumeFacts): string => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`;
