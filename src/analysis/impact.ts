/**
 * The impact engine: judges typed changes with the rule table, widens them
 * with the dependency graph and says what to run. Pure.
 */
import type { ConfigType } from '../parsers/parser.js';
import type { Change } from './change.js';
import { nodeId } from '../store/graph-model.js';
import { composeServiceId } from './node-naming.js';
import { type DependencyGraph, namesOf } from '../store/graph-queries.js';
import { rulesFor } from './impact-rules.js';
import { recommendedActions } from './recommended-actions.js';
import { maxLevel, raiseLevel, type RiskLevel } from './risk-level.js';

export interface ImpactInputs {
  readonly type: ConfigType;
  /** Path of the changed file on its host. */
  readonly path: string;
  readonly changes: readonly Change[];
  /** The device's dependency graph; without it there are no downstream services. */
  readonly graph?: DependencyGraph;
  /** The device, for its reload command (profile `reload`), which replaces the type's default reload. */
  readonly device?: { readonly name: string; readonly reloadCommand?: string | null };
}

export interface ImpactReason {
  /** The rule id (or `downstream-dependents`). */
  readonly rule: string;
  /** The level the rule gives (for `downstream-dependents`, the raised level). */
  readonly level: RiskLevel;
  readonly detail: string;
}

export interface Impact {
  readonly riskLevel: RiskLevel;
  readonly reasons: ImpactReason[];
  /** Services the change touches directly (compose services, units, server names). */
  readonly affectedServices: string[];
  /** Services that depend on the affected ones or on the file, transitively. */
  readonly downstreamServices: string[];
  readonly requiresRestart: boolean;
  readonly requiresReload: boolean;
  /** Exact commands, in order. */
  readonly recommendedActions: string[];
}

/** Whether applying a change of this type restarts or reloads, when a rule leaves it open. */
const ACTIVATION: Record<ConfigType, { restart: boolean; reload: boolean }> = {
  compose: { restart: true, reload: false },
  systemd: { restart: true, reload: false },
  nginx: { restart: false, reload: true },
  sshd: { restart: false, reload: true },
  env: { restart: true, reload: false },
  generic: { restart: false, reload: false },
};

/** Graph node id of a change's service, by config type. */
function serviceNode(type: ConfigType, path: string, service: string): string {
  if (type === 'compose') return composeServiceId(path, service);
  if (type === 'systemd') return nodeId('unit', service);
  if (type === 'nginx') return nodeId('nginx-server', service);
  return service;
}

export function assessImpact(inputs: ImpactInputs): Impact {
  const { type, path, changes, graph } = inputs;
  const ctx = { type, path };
  let riskLevel: RiskLevel = 'LOW';
  let requiresRestart = false;
  let requiresReload = false;
  const reasons: ImpactReason[] = [];
  const raised = new Set<string>();
  const downstream = new Set<string>();
  const fileDependents = graph ? namesOf(graph.downstream(nodeId('file', path)).filter((n) => n.kind !== 'file')) : [];
  const affected = new Set(changes.flatMap((c) => (c.service ? [c.service] : [])));
  // A change without a service (an .env key, an include) touches whatever uses the file.
  if (changes.some((c) => !c.service)) for (const name of fileDependents) affected.add(name);

  for (const change of changes) {
    let level: RiskLevel = 'LOW';
    for (const rule of rulesFor(change, ctx)) {
      level = maxLevel(level, rule.level);
      requiresRestart ||= rule.restart ?? ACTIVATION[type].restart;
      requiresReload ||= rule.reload ?? ACTIVATION[type].reload;
      reasons.push({ rule: rule.id, level: rule.level, detail: rule.reason(change) });
    }
    const dependents = change.service && graph ? dependentsOf(graph, serviceNode(type, path, change.service), change.service) : [];
    for (const name of dependents) downstream.add(name);
    if (dependents.length > 0) {
      const higher = raiseLevel(level);
      if (!raised.has(change.service!)) {
        raised.add(change.service!);
        reasons.push({
          rule: 'downstream-dependents',
          level: higher,
          detail: `${change.service} has ${dependents.length} downstream dependent(s) (${dependents.join(', ')}): ${level} raised to ${higher}.`,
        });
      }
      level = higher;
    }
    riskLevel = maxLevel(riskLevel, level);
  }
  for (const name of affected) downstream.delete(name);
  return {
    riskLevel,
    reasons,
    affectedServices: [...affected],
    downstreamServices: [...downstream],
    requiresRestart,
    requiresReload,
    recommendedActions: recommendedActions({ type, path, changes, requiresRestart, requiresReload, reloadCommand: inputs.device?.reloadCommand ?? null }),
  };
}

/** Dependents of a service other than files and the service's own aliases (its container). */
function dependentsOf(graph: DependencyGraph, id: string, service: string): string[] {
  const selector = graph.find(id).length > 0 ? id : service;
  return namesOf(graph.downstream(selector).filter((n) => n.kind !== 'file' && n.kind !== 'container' && n.name !== service));
}
