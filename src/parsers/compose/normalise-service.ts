import type { ComposeDependency, ComposeHardening, ComposePort, ComposeService, ComposeVolume, ImageRef } from './compose-types.js';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);
/** Any YAML value as text; objects (which may lack a prototype) as JSON, never throwing. */
export const text = (v: unknown): string => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));
const asString = (v: unknown): string | null => (v === undefined || v === null ? null : text(v));

/** Splits `registry:5000/org/app:tag@sha256:…` into name, tag and digest. */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  const digest = at < 0 ? null : ref.slice(at + 1);
  const named = at < 0 ? ref : ref.slice(0, at);
  const colon = named.lastIndexOf(':');
  const hasTag = colon > named.lastIndexOf('/');
  return { ref, name: hasTag ? named.slice(0, colon) : named, tag: hasTag ? named.slice(colon + 1) : null, digest };
}

/** Short port syntax: `[HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]`, IPv6 hosts in brackets. */
export function parsePort(spec: unknown): ComposePort {
  if (isRecord(spec)) {
    return { target: text(spec.target ?? ''), published: asString(spec.published), hostIp: asString(spec.host_ip), protocol: text(spec.protocol ?? 'tcp') };
  }
  let rest = text(spec);
  const slash = rest.lastIndexOf('/');
  const protocol = slash < 0 ? 'tcp' : rest.slice(slash + 1);
  if (slash >= 0) rest = rest.slice(0, slash);
  let hostIp: string | null = null;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    hostIp = rest.slice(1, close);
    rest = rest.slice(close + 2);
  }
  const parts = rest.split(':');
  if (parts.length >= 3 && hostIp === null) hostIp = parts.shift()!;
  const target = parts.pop()!;
  const published = parts[0] || null;
  return { target, published, hostIp: hostIp || null, protocol };
}

/** Short volume syntax: `SOURCE:TARGET[:MODE]` or a bare `TARGET` (anonymous volume). */
export function parseVolume(spec: unknown): ComposeVolume {
  if (isRecord(spec)) {
    return { type: text(spec.type ?? 'volume'), source: asString(spec.source), target: text(spec.target ?? ''), readOnly: spec.read_only === true };
  }
  const parts = text(spec).split(':');
  if (parts.length === 1) return { type: 'volume', source: null, target: parts[0]!, readOnly: false };
  const [source, target, mode = ''] = parts as [string, string, string?];
  const bind = /^[./~]/.test(source) || source.startsWith('$');
  return { type: bind ? 'bind' : 'volume', source, target, readOnly: mode.split(',').includes('ro') };
}

/** `environment`/`labels` as a `KEY=value` list or a map; a bare `KEY` has no value (null). */
export function keyValues(value: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = Object.create(null);
  if (Array.isArray(value)) {
    for (const item of value) {
      const entry = text(item);
      const eq = entry.indexOf('=');
      if (eq < 0) out[entry] = null;
      else out[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else if (isRecord(value)) {
    for (const key of Object.keys(value)) out[key] = asString(value[key]);
  }
  return out;
}

function dependencies(value: unknown): ComposeDependency[] {
  if (Array.isArray(value)) return value.map((service) => ({ service: text(service), condition: 'service_started', required: true }));
  if (!isRecord(value)) return [];
  return Object.entries(value).map(([service, spec]) => {
    const options = isRecord(spec) ? spec : {};
    return { service, condition: text(options.condition ?? 'service_started'), required: options.required !== false };
  });
}

function build(value: unknown): ComposeService['build'] {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) return { context: text(value), dockerfile: null };
  return { context: text(value.context ?? '.'), dockerfile: asString(value.dockerfile) };
}

/** Turns a raw service (after extends) into the normalised shape. */
export function normaliseService(name: string, raw: Raw, line: number, activeProfiles: ReadonlySet<string>): ComposeService {
  const networkMode = asString(raw.network_mode);
  const networks = isRecord(raw.networks) ? Object.keys(raw.networks) : asArray(raw.networks).map(text);
  const profiles = asArray(raw.profiles).map(text);
  return {
    kind: 'service',
    name,
    line,
    image: typeof raw.image === 'string' ? parseImageRef(raw.image) : null,
    build: build(raw.build),
    ports: asArray(raw.ports).map(parsePort),
    volumes: asArray(raw.volumes).map(parseVolume),
    networks: networks.length === 0 && networkMode === null ? ['default'] : networks,
    networkMode,
    networkModeService: networkMode?.startsWith('service:') ? networkMode.slice('service:'.length) : null,
    dependsOn: dependencies(raw.depends_on),
    volumesFrom: asArray(raw.volumes_from).map((spec) => {
      const parts = text(spec).split(':');
      const container = parts[0] === 'container';
      if (container) parts.shift();
      return { source: parts[0] ?? '', container, readOnly: parts[1] === 'ro' };
    }),
    links: asArray(raw.links).map((spec) => {
      const [service = '', alias] = text(spec).split(':');
      return { service, alias: alias ?? service };
    }),
    environment: keyValues(raw.environment),
    envFiles: asArray(raw.env_file).map((f) => (isRecord(f) ? text(f.path) : text(f))),
    labels: keyValues(raw.labels),
    privileged: raw.privileged === true,
    capAdd: asArray(raw.cap_add).map(text),
    user: asString(raw.user),
    restart: asString(raw.restart),
    containerName: asString(raw.container_name),
    profiles,
    enabled: profiles.length === 0 || profiles.some((p) => activeProfiles.has(p)),
    hardening: hardening(raw),
  };
}

function healthcheck(value: unknown): ComposeHardening['healthcheck'] {
  if (!isRecord(value)) return 'none';
  const test = asArray(value.test).map(text);
  return value.disable === true || test[0] === 'NONE' ? 'disabled' : 'set';
}

function hardening(raw: Raw): ComposeHardening {
  const limits = isRecord(raw.deploy) && isRecord(raw.deploy.resources) && isRecord(raw.deploy.resources.limits) ? raw.deploy.resources.limits : {};
  return {
    securityOpt: asArray(raw.security_opt).map(text),
    capDrop: asArray(raw.cap_drop).map(text),
    pid: asString(raw.pid),
    ipc: asString(raw.ipc),
    usernsMode: asString(raw.userns_mode),
    devices: asArray(raw.devices).map((d) => (isRecord(d) ? text(d.source ?? '') : text(d))),
    healthcheck: healthcheck(raw.healthcheck),
    memLimit: asString(raw.mem_limit ?? limits.memory),
    pidsLimit: asString(raw.pids_limit ?? limits.pids),
    readOnly: raw.read_only === true,
  };
}
