/**
 * The impact rules, as data. Every rule whose `when` holds for a change
 * contributes its level and reason; a change no rule matches falls to
 * FALLBACK_RULE. `restart`/`reload` left undefined mean "what applying a
 * change of this config type takes" (compose and systemd restart, nginx
 * and sshd reload, generic files neither); `false` means nothing to apply.
 */
import type { ConfigType } from '../parsers/parser.js';
import type { Change } from './change.js';
import type { RiskLevel } from './risk-level.js';

export interface RuleContext {
  /** Config type of the changed file. */
  readonly type: ConfigType;
  /** Path of the changed file. */
  readonly path: string;
}

export interface ImpactRule {
  /** Stable id, shown in `reasons[].rule`. */
  readonly id: string;
  /** Whether the rule applies to a change. */
  readonly when: (change: Change, ctx: RuleContext) => boolean;
  /** Risk level of a matching change, before the downstream raise. */
  readonly level: RiskLevel;
  /** One human sentence for the change. */
  readonly reason: (change: Change) => string;
  /** Applying the change needs a restart; undefined: the type's default. */
  readonly restart?: boolean;
  /** Applying the change needs a reload; undefined: the type's default. */
  readonly reload?: boolean;
}

const str = (v: unknown): string => (v === null || v === undefined ? '(unset)' : Array.isArray(v) ? v.join(', ') : String(v));
const of = (c: Change): string => (c.service ? ` (${c.service})` : '');
const is = (...kinds: string[]) => (c: Change) => kinds.includes(c.kind);
/** What sshd uses when a keyword is not set (sshd_config(5)), for settings the rules judge. */
const SSHD_DEFAULTS: Record<string, string> = { permitrootlogin: 'prohibit-password', passwordauthentication: 'yes', permitemptypasswords: 'no' };
/** The setting ends up at `value`, written or (once its line is gone) as sshd's default. */
const sshdSetTo = (key: string, value: string) => (c: Change, ctx: RuleContext) =>
  ctx.type === 'sshd' && c.kind === 'setting.changed' && c.detail.key === key && String(c.detail.to ?? SSHD_DEFAULTS[key]).toLowerCase() === value;
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const app = (c: Change): string => str(c.detail.app ?? c.detail.server);
const hosts = (c: Change): string => (Array.isArray(c.detail.hosts) && c.detail.hosts.length ? ` (${c.detail.hosts.join(', ')})` : '');
/** systemd ordering and soft dependencies: they change when a unit starts, not whether it can run. */
const isOrdering = (c: Change): boolean => c.kind === 'dependency.changed' && ['After', 'Before', 'Wants', 'WantedBy'].includes(String(c.detail.key));
const isHostNetwork = (c: Change): boolean => c.kind === 'network_mode.changed' && c.detail.to === 'host';

/** `nginx:1.27` → tag `1.27`; untagged references and `latest` float. Digests are pinned. */
export function isFloatingImage(image: unknown): boolean {
  if (typeof image !== 'string' || image === '') return true;
  if (image.includes('@')) return false;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const colon = last.indexOf(':');
  return colon < 0 || last.slice(colon + 1) === 'latest';
}

export const IMPACT_RULES: readonly ImpactRule[] = [
  {
    id: 'whitespace-or-comments',
    when: is('whitespace_or_comments.only'),
    level: 'LOW',
    reason: () => 'Only whitespace or comments changed; the parsed configuration is identical.',
    restart: false,
    reload: false,
  },
  {
    id: 'env-changed',
    when: (c) => c.kind === 'env.changed' && c.detail.used !== false,
    level: 'MEDIUM',
    reason: (c) => `Environment variable ${str(c.detail.key)} ${str(c.detail.change)}${of(c)}.`,
  },
  {
    id: 'env-unused',
    when: (c) => c.kind === 'env.changed' && c.detail.used === false,
    level: 'LOW',
    reason: (c) => `Environment variable ${str(c.detail.key)} ${str(c.detail.change)}; no service of ${str(c.detail.composeFile)} uses it.`,
    restart: false,
    reload: false,
  },
  {
    id: 'image-retag',
    when: (c) => c.kind === 'image.changed' && !isFloatingImage(c.detail.to),
    level: 'MEDIUM',
    reason: (c) => `Image changed from ${str(c.detail.from)} to ${str(c.detail.to)}${of(c)}.`,
  },
  {
    id: 'image-floating',
    when: (c) => c.kind === 'image.changed' && isFloatingImage(c.detail.to),
    level: 'HIGH',
    reason: (c) => `Image changed to ${str(c.detail.to)}${of(c)}, which is "latest" or untagged: what runs can change at any pull.`,
  },
  {
    id: 'auth-bypassed-by-exposure',
    when: (c) => Array.isArray(c.detail.guardedBy) && c.detail.guardedBy.length > 0,
    level: 'CRITICAL',
    reason: (c) =>
      `${c.kind === 'port.added' ? `Port ${str(c.detail.port)} published on all interfaces` : "Host networking"}${of(c)}: the app is reachable without the authentication ${str(c.detail.guardedBy)} put in front of it.`,
  },
  {
    id: 'port-all-interfaces',
    when: (c) => c.kind === 'port.added' && c.detail.allInterfaces === true,
    level: 'HIGH',
    reason: (c) => `Port ${str(c.detail.port)} is published on all interfaces${of(c)}.`,
  },
  {
    id: 'port-changed',
    when: (c) => (c.kind === 'port.added' && c.detail.allInterfaces !== true) || c.kind === 'port.removed',
    level: 'MEDIUM',
    reason: (c) => `Port ${str(c.detail.port)} ${c.kind === 'port.added' ? 'added' : 'removed'}${of(c)}.`,
  },
  { id: 'service-removed', when: is('service.removed'), level: 'HIGH', reason: (c) => `Service ${str(c.detail.service)} removed.` },
  { id: 'service-added', when: is('service.added'), level: 'MEDIUM', reason: (c) => `Service ${str(c.detail.service)} added.` },
  { id: 'server-removed', when: is('server.removed'), level: 'HIGH', reason: (c) => `Server ${str(c.detail.server)} removed.` },
  { id: 'server-added', when: is('server.added'), level: 'MEDIUM', reason: (c) => `Server ${str(c.detail.server)} added.` },
  { id: 'ssl-disabled', when: is('ssl.disabled'), level: 'HIGH', reason: (c) => `TLS disabled on ${str(c.detail.server)}.` },
  {
    id: 'listen-changed',
    when: is('listen.changed'),
    level: 'HIGH',
    reason: (c) => `Listen changed on ${str(c.detail.server)}: +[${str(c.detail.added)}] -[${str(c.detail.removed)}].`,
  },
  {
    id: 'proxy-pass-changed',
    when: is('proxy_pass.changed'),
    level: 'MEDIUM',
    reason: (c) =>
      `Proxy target of ${app(c)}${hosts(c)}${c.detail.location ? ` ${str(c.detail.location)}` : ''} changed from ${str(c.detail.from)} to ${str(c.detail.to)}.`,
  },
  {
    id: 'upstream-changed',
    when: is('upstream.server.changed'),
    level: 'MEDIUM',
    reason: (c) => `Upstream ${str(c.detail.upstream)} servers changed: +[${str(c.detail.added)}] -[${str(c.detail.removed)}].`,
  },
  {
    id: 'auth-removed',
    when: is('auth.removed'),
    level: 'CRITICAL',
    reason: (c) =>
      `Authentication (${str(c.detail.removed)}) removed from ${app(c)}${c.detail.location ? ` ${str(c.detail.location)}` : ''}: ${str(c.detail.hosts)} now reachable without it.`,
  },
  {
    id: 'auth-bypassed',
    when: is('auth.bypassed'),
    level: 'CRITICAL',
    reason: (c) =>
      `${app(c)} was reachable only through authentication; ${str(c.detail.hosts)}${c.detail.location ? ` ${str(c.detail.location)}` : ''} now proxies to it without.`,
  },
  { id: 'auth-added', when: is('auth.added'), level: 'LOW', reason: (c) => `Authentication (${str(c.detail.added)}) turned on for ${str(c.detail.hosts)}.` },
  {
    id: 'tls-downgraded',
    when: is('tls.downgraded'),
    level: 'HIGH',
    reason: (c) => `TLS protocols weakened: ${str(c.detail.weak)} accepted again.`,
  },
  { id: 'tls-changed', when: is('tls.changed'), level: 'MEDIUM', reason: (c) => `TLS protocols changed: +[${str(c.detail.added)}] -[${str(c.detail.removed)}].` },
  { id: 'include-changed', when: is('include.changed'), level: 'MEDIUM', reason: (c) => `Includes of ${str(c.detail.server)} changed: +[${str(c.detail.added)}] -[${str(c.detail.removed)}].` },
  { id: 'header-changed', when: is('header.changed'), level: 'MEDIUM', reason: (c) => `Headers changed on ${str(c.detail.server)}.` },
  { id: 'location-changed', when: is('location.changed'), level: 'MEDIUM', reason: (c) => `Locations changed on ${str(c.detail.server)}.` },
  { id: 'exec-changed', when: is('exec.changed'), level: 'HIGH', reason: (c) => `ExecStart changed${of(c)}.` },
  {
    id: 'user-changed',
    when: is('user.changed', 'group.changed'),
    level: 'HIGH',
    reason: (c) => `${c.kind === 'user.changed' ? 'User' : 'Group'} changed from ${str(c.detail.from)} to ${str(c.detail.to)}${of(c)}.`,
  },
  {
    id: 'dependency-changed',
    when: (c) =>
      ['dependency.changed', 'depends_on.changed', 'links.changed', 'volumes_from.changed', 'network_mode.changed'].includes(c.kind) &&
      !isHostNetwork(c) &&
      !isOrdering(c),
    level: 'HIGH',
    reason: (c) => `Dependencies changed${of(c)} (${c.kind}${c.detail.key ? ` ${str(c.detail.key)}` : ''}).`,
  },
  {
    id: 'unit-ordering-changed',
    when: isOrdering,
    level: 'MEDIUM',
    reason: (c) => `Unit ordering or soft dependencies changed${of(c)} (${str(c.detail.key)}: +[${str(c.detail.added)}] -[${str(c.detail.removed)}]).`,
  },
  {
    id: 'network-mode-host',
    when: isHostNetwork,
    level: 'HIGH',
    reason: (c) => `Container shares the host's network${of(c)}: every port it listens on is open on the host.`,
  },
  {
    id: 'cap-add-changed',
    when: (c) => c.kind === 'cap_add.changed' && asList(c.detail.added).length > 0,
    level: 'HIGH',
    reason: (c) => `Capabilities added${of(c)}: ${str(c.detail.added)}.`,
  },
  { id: 'privileged', when: is('privileged.enabled'), level: 'CRITICAL', reason: (c) => `Container runs privileged${of(c)}: root on the host.` },
  {
    id: 'docker-socket-writable',
    when: (c) => c.kind === 'docker_socket.mounted' && c.detail.readOnly !== true,
    level: 'CRITICAL',
    reason: (c) => `Docker socket mounted writable${of(c)}: full control of the host's Docker.`,
  },
  {
    id: 'docker-socket-read-only',
    when: (c) => c.kind === 'docker_socket.mounted' && c.detail.readOnly === true,
    level: 'HIGH',
    reason: (c) => `Docker socket mounted${of(c)}; a read-only mount does not restrict the Docker API.`,
  },
  { id: 'volume-changed', when: is('volume.added', 'volume.removed'), level: 'MEDIUM', reason: (c) => `Volume ${str(c.detail.source)}:${str(c.detail.target)} ${c.kind === 'volume.added' ? 'added' : 'removed'}${of(c)}.` },
  { id: 'permit-root-login', when: sshdSetTo('permitrootlogin', 'yes'), level: 'CRITICAL', reason: () => 'PermitRootLogin set to yes: root can log in over SSH.' },
  {
    id: 'password-authentication',
    when: sshdSetTo('passwordauthentication', 'yes'),
    level: 'CRITICAL',
    reason: () => 'PasswordAuthentication set to yes: password guessing is possible.',
  },
  {
    id: 'permit-empty-passwords',
    when: sshdSetTo('permitemptypasswords', 'yes'),
    level: 'CRITICAL',
    reason: () => 'PermitEmptyPasswords set to yes: accounts without a password can log in.',
  },
  {
    id: 'sshd-setting',
    when: (c, ctx) =>
      ctx.type === 'sshd' &&
      c.kind === 'setting.changed' &&
      !sshdSetTo('permitrootlogin', 'yes')(c, ctx) &&
      !sshdSetTo('passwordauthentication', 'yes')(c, ctx) &&
      !sshdSetTo('permitemptypasswords', 'yes')(c, ctx),
    level: 'MEDIUM',
    reason: (c) => `sshd ${str(c.detail.key)} changed from ${str(c.detail.from)} to ${str(c.detail.to)}.`,
  },
  { id: 'config-deleted', when: is('file.deleted'), level: 'HIGH', reason: (c) => `The config file was deleted${of(c)}.` },
  {
    id: 'hardening-weakened',
    when: (c) => c.kind === 'hardening.changed' && c.detail.weakened === true,
    level: 'HIGH',
    reason: (c) => `Sandboxing weakened${of(c)}: ${str(c.detail.key)} from ${str(c.detail.from)} to ${str(c.detail.to)}.`,
  },
  {
    id: 'hardening-changed',
    when: (c) => c.kind === 'hardening.changed' && c.detail.weakened !== true,
    level: 'MEDIUM',
    reason: (c) => `Sandboxing changed${of(c)}: ${str(c.detail.key)} from ${str(c.detail.from)} to ${str(c.detail.to)}; the service may need access it no longer has.`,
  },
  {
    id: 'parse-still-failing',
    when: is('parse.still_failed'),
    level: 'MEDIUM',
    reason: (c) => `The file did not parse before and still does not${c.detail.line ? ` (line ${str(c.detail.line)})` : ''}: ${str(c.detail.message)}.`,
    restart: false,
    reload: false,
  },
  {
    id: 'parse-failed',
    when: is('parse.failed'),
    level: 'HIGH',
    reason: (c) => `The file no longer parses${c.detail.line ? ` (line ${str(c.detail.line)})` : ''}: ${str(c.detail.message)}.`,
    restart: false,
    reload: false,
  },
  { id: 'file-created', when: is('file.created'), level: 'MEDIUM', reason: () => 'The config file was created.' },
];

/** Applies to a change no rule in IMPACT_RULES matches. */
export const FALLBACK_RULE: ImpactRule = {
  id: 'other-change',
  when: () => true,
  level: 'MEDIUM',
  reason: (c) => `Configuration changed (${c.kind})${of(c)}.`,
};

/** The rules that apply to a change: the matching ones, else the fallback. */
export function rulesFor(change: Change, ctx: RuleContext): readonly ImpactRule[] {
  const matching = IMPACT_RULES.filter((r) => r.when(change, ctx));
  return matching.length > 0 ? matching : [FALLBACK_RULE];
}
