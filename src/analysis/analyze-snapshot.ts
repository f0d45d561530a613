/**
 * What the capture pipeline runs after storing a snapshot, and what
 * `confwatch impact --old --new` runs on two local files: parse both
 * versions in the same context, diff them semantically and assess the
 * impact. Pure (the caller supplies contents, context and graph); never
 * throws for bad input: parse problems are findings.
 */
import type { ConfigType, ParseContext, ParseIssue } from '../parsers/parser.js';
import type { DependencyGraph } from '../store/graph-queries.js';
import type { SnapshotRecord } from '../store/records.js';
import { withAuthGuards } from './auth-guards.js';
import type { Change } from './change.js';
import { getParser } from '../parsers/registry.js';
import { envUsage } from './facts/env-usage.js';
import { assessImpact, type Impact } from './impact.js';
import { semanticDiff } from './semantic-diff.js';

export interface ChangeInputs {
  readonly type: ConfigType;
  /** Path of the file on its host. */
  readonly path: string;
  /** Bytes of the new version; undefined when the file is gone. */
  readonly content?: Buffer;
  /** Bytes of the previous version; undefined when there was none. */
  readonly previousContent?: Buffer;
  /** Parsed data stored with the previous version, used only when its bytes are not available. */
  readonly previousParsed?: unknown;
  /** Other files of the device, for includes, drop-ins and `.env`; both versions are read against it. */
  readonly context?: ParseContext;
  /** The device's dependency graph, for downstream services. */
  readonly graph?: DependencyGraph;
  /** The device's name and profile reload command, which replaces the type's default reload. */
  readonly device?: { readonly name: string; readonly reloadCommand?: string | null };
}

export interface ChangeAnalysis {
  /** Parsed data of the new version; null when it did not parse or has no content. */
  readonly parsed: unknown | null;
  readonly parseErrors: readonly ParseIssue[];
  /** Findings that do not stop the file from being read, e.g. an include that resolves nowhere on this device. */
  readonly parseWarnings: readonly ParseIssue[];
  readonly changes: Change[];
  readonly impact: Impact;
}

/**
 * Compares like with like: the previous version is parsed again against the
 * same context as the new one, so a missing include or a snippet changed
 * since is the same on both sides, and only what differs in this file counts.
 */
export function analyzeChange(inputs: ChangeInputs): ChangeAnalysis {
  const { type, path } = inputs;
  const parser = getParser(type);
  const context = { ...inputs.context, path };
  const current = inputs.content === undefined ? undefined : parser.parse(inputs.content, context);
  const previous = inputs.previousContent === undefined ? undefined : parser.parse(inputs.previousContent, context);
  const usage = type === 'env' && inputs.context?.readFile ? envUsage(path, inputs.context.readFile) : undefined;
  const diffed = semanticDiff(type, previous ? previous.data : (inputs.previousParsed ?? null), current?.data ?? null, {
    oldText: inputs.previousContent?.toString('utf8') ?? null,
    newText: inputs.content?.toString('utf8') ?? null,
    newErrors: current?.errors ?? [],
    oldErrors: previous?.errors ?? [],
    path,
    ...(usage ? { envUsage: usage } : {}),
  });
  const changes = type === 'compose' ? withAuthGuards(diffed, inputs.graph, path) : diffed;
  const impact = assessImpact({
    type,
    path,
    changes,
    ...(inputs.graph ? { graph: inputs.graph } : {}),
    ...(inputs.device ? { device: inputs.device } : {}),
  });
  return { parsed: current?.data ?? null, parseErrors: current?.errors ?? [], parseWarnings: current?.warnings ?? [], changes, impact };
}

export interface AnalyzeSnapshotInputs {
  /** The stored snapshot (its path, change type and device are used). */
  readonly snapshot: Pick<SnapshotRecord, 'path' | 'device' | 'changeType'>;
  /** Bytes of the new version; undefined for a deletion or a content-less record. */
  readonly content?: Buffer;
  /** Bytes of the previous version; undefined when there was none. */
  readonly previousContent?: Buffer;
  /** Parsed data stored with the previous version (used only when previousContent is absent). */
  readonly previousParsed?: unknown;
  readonly type: ConfigType;
  /** Other files of the device, for includes, drop-ins and `.env`. */
  readonly context?: ParseContext;
  /** The device's dependency graph, for downstream services. */
  readonly graph?: DependencyGraph;
  /** The profile's reload command, replacing the type's default reload. */
  readonly reloadCommand?: string | null;
}

export type SnapshotAnalysis = ChangeAnalysis;

export function analyzeSnapshot(inputs: AnalyzeSnapshotInputs): SnapshotAnalysis {
  const { snapshot } = inputs;
  const deleted = snapshot.changeType === 'deleted';
  return analyzeChange({
    type: inputs.type,
    path: snapshot.path,
    ...(deleted || inputs.content === undefined ? {} : { content: inputs.content }),
    ...(inputs.previousContent === undefined ? {} : { previousContent: inputs.previousContent }),
    ...(inputs.previousParsed === undefined ? {} : { previousParsed: inputs.previousParsed }),
    ...(inputs.context ? { context: inputs.context } : {}),
    ...(inputs.graph ? { graph: inputs.graph } : {}),
    device: { name: snapshot.device, reloadCommand: inputs.reloadCommand ?? null },
  });
}
