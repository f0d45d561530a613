/**
 * What the capture pipeline runs after storing a snapshot: parse the new
 * content, diff it semantically against the previous version and assess
 * the impact. Pure (the caller supplies contents, context and graph);
 * never throws for bad input: parse problems are findings.
 */
import type { ConfigType, ParseContext, ParseIssue } from '../parsers/parser.js';
import type { SnapshotRecord } from '../store/records.js';
import type { Change } from './change.js';
import { parserFor } from './config-parsers.js';
import type { DependencyGraph } from '../store/graph-queries.js';
import { assessImpact, type Impact } from './impact.js';
import { semanticDiff } from './semantic-diff.js';

export interface AnalyzeSnapshotInputs {
  /** The stored snapshot (its path, change type and device are used). */
  readonly snapshot: Pick<SnapshotRecord, 'path' | 'device' | 'changeType'>;
  /** Bytes of the new version; undefined for a deletion or a content-less record. */
  readonly content?: Buffer;
  /** Bytes of the previous version; undefined when there was none. */
  readonly previousContent?: Buffer;
  /** Parsed data stored with the previous version (parsed again from previousContent when absent). */
  readonly previousParsed?: unknown;
  readonly type: ConfigType;
  /** Other files of the device, for includes, drop-ins and `.env`. */
  readonly context?: ParseContext;
  /** The device's dependency graph, for downstream services. */
  readonly graph?: DependencyGraph;
  /** The profile's reload command, replacing the type's default reload. */
  readonly reloadCommand?: string | null;
}

export interface SnapshotAnalysis {
  /** Parsed data to store with the snapshot; null when it did not parse or has no content. */
  readonly parsed: unknown | null;
  readonly parseErrors: readonly ParseIssue[];
  readonly changes: Change[];
  readonly impact: Impact;
}

export function analyzeSnapshot(inputs: AnalyzeSnapshotInputs): SnapshotAnalysis {
  const { snapshot, type } = inputs;
  const parser = parserFor(type);
  const context = { ...inputs.context, path: snapshot.path };
  const deleted = snapshot.changeType === 'deleted' || inputs.content === undefined;
  const current = deleted ? undefined : parser.parse(inputs.content!, context);
  const previousParsed =
    inputs.previousParsed ?? (inputs.previousContent === undefined ? null : parser.parse(inputs.previousContent, context).data);
  const changes = semanticDiff(type, previousParsed, current?.data ?? null, {
    oldText: inputs.previousContent?.toString('utf8') ?? null,
    newText: deleted ? null : inputs.content!.toString('utf8'),
    newErrors: current?.errors ?? [],
    path: snapshot.path,
  });
  const impact = assessImpact({
    type,
    path: snapshot.path,
    changes,
    ...(inputs.graph ? { graph: inputs.graph } : {}),
    device: { name: snapshot.device, reloadCommand: inputs.reloadCommand ?? null },
  });
  return { parsed: current?.data ?? null, parseErrors: current?.errors ?? [], changes, impact };
}
