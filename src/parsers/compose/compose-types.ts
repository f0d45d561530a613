/** A container image reference split into its parts. */
export interface ImageRef {
  /** The reference as written, e.g. `ghcr.io/org/app:1.2@sha256:…`. */
  readonly ref: string;
  /** Repository without tag or digest, e.g. `ghcr.io/org/app`. */
  readonly name: string;
  /** Tag, or null when none is given (Docker then pulls `latest`). */
  readonly tag: string | null;
  readonly digest: string | null;
}

/** A published port, from the short (`"127.0.0.1:8080:80/udp"`) or long syntax. */
export interface ComposePort {
  /** Container port or range, e.g. `80` or `8000-8010`. */
  readonly target: string;
  /** Host port or range; null when Docker picks one. */
  readonly published: string | null;
  /** Host address to bind; null means all interfaces. */
  readonly hostIp: string | null;
  readonly protocol: string;
}

/** A mount, from the short (`./nginx.conf:/etc/nginx/nginx.conf:ro`) or long syntax. */
export interface ComposeVolume {
  readonly type: string;
  /** Host path (bind), volume name, or null for an anonymous volume or tmpfs. */
  readonly source: string | null;
  readonly target: string;
  readonly readOnly: boolean;
}

/** A `depends_on` entry, from the list or map form. */
export interface ComposeDependency {
  readonly service: string;
  /** `service_started` (the default), `service_healthy` or `service_completed_successfully`. */
  readonly condition: string;
  /** False when the dependency is optional (`required: false`). */
  readonly required: boolean;
}

/** A compose service, normalised so both syntaxes of each field read the same. */
export interface ComposeService {
  readonly kind: 'service';
  readonly name: string;
  /** 1-based line of the service in its file. */
  readonly line: number;
  /** The file defining the service, when it came from `include`. */
  readonly file?: string;
  readonly image: ImageRef | null;
  /** Build context and Dockerfile; null when the service is not built. */
  readonly build: { readonly context: string; readonly dockerfile: string | null } | null;
  readonly ports: ComposePort[];
  readonly volumes: ComposeVolume[];
  /** Networks the service joins; `default` when none is named and no `network_mode` is set. */
  readonly networks: string[];
  readonly networkMode: string | null;
  /** The service named by `network_mode: service:NAME`. */
  readonly networkModeService: string | null;
  readonly dependsOn: ComposeDependency[];
  readonly volumesFrom: { readonly source: string; readonly container: boolean; readonly readOnly: boolean }[];
  readonly links: { readonly service: string; readonly alias: string }[];
  /** Variables; null means "take the value from the shell". */
  readonly environment: Record<string, string | null>;
  readonly envFiles: string[];
  readonly labels: Record<string, string | null>;
  readonly privileged: boolean;
  readonly capAdd: string[];
  readonly user: string | null;
  readonly restart: string | null;
  readonly containerName: string | null;
  readonly profiles: string[];
  /** False when the service has profiles and none of them is active (`COMPOSE_PROFILES`). */
  readonly enabled: boolean;
  /** Isolation and limits, as the compliance packs read them. */
  readonly hardening: ComposeHardening;
}

/** A service's isolation settings and resource limits. */
export interface ComposeHardening {
  /** `security_opt` entries, e.g. `no-new-privileges:true`, `seccomp:unconfined`. */
  readonly securityOpt: string[];
  readonly capDrop: string[];
  /** `pid`, `ipc`, `userns_mode`, `cgroup`; null when unset. */
  readonly pid: string | null;
  readonly ipc: string | null;
  readonly usernsMode: string | null;
  /** Host devices mapped in (`devices`), as written. */
  readonly devices: string[];
  /** `none` when no healthcheck is defined, `disabled` for `disable: true` or `test: ["NONE"]`. */
  readonly healthcheck: 'none' | 'set' | 'disabled';
  /** `mem_limit`, else `deploy.resources.limits.memory`; null when unlimited. */
  readonly memLimit: string | null;
  /** `pids_limit`, else `deploy.resources.limits.pids`; null when unlimited. */
  readonly pidsLimit: string | null;
  readonly readOnly: boolean;
}

/** A parsed compose project (one file plus what it includes and extends). */
export interface ComposeData {
  readonly kind: 'compose';
  /** Top-level `name`, when set. */
  readonly name: string | null;
  readonly services: Record<string, ComposeService>;
  /** Top-level networks, plus `default` when a service uses it implicitly. */
  readonly networks: string[];
  readonly volumes: string[];
  /** Every profile named by a service. */
  readonly profiles: string[];
  /** Files read through `include` and `extends.file`. */
  readonly files: string[];
}
