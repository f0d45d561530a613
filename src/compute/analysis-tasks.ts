/**
 * The work the analysis pool runs in its workers, as plain data that
 * crosses `postMessage`: what goes in, what comes out, and the function
 * that does it. Pure; the worker entry (analysis-worker.ts) only calls
 * `runAnalysisTask`.
 */
import picomatch from 'picomatch';
import { type AnalyzeSnapshotInputs, analyzeSnapshot, type SnapshotAnalysis } from '../analysis/analyze-snapshot.js';
import { type ContentDiff, diffContents } from '../analysis/content-diff.js';
import { mappedContext } from '../analysis/mapped-context.js';
import { evaluateFile } from '../compliance/evaluator.js';
import type { ComplianceRule, RuleOutcome } from '../compliance/rule.js';
import type { ConfigType, ParseContext } from '../parsers/parser.js';
import { getParser } from '../parsers/registry.js';
import type { GraphData } from '../store/graph-model.js';
import { DependencyGraph } from '../store/graph-queries.js';
import { packJson } from '../store/sealed-json.js';
import type { PathMapping } from '../transport/path-mapping.js';
import { runTemplateTask, type TemplateTask, type TemplateTaskResult } from '../templates/render-task.js';

/**
 * A device's other files (includes, drop-ins, `.env`) packed into one
 * shared buffer: every task of a batch hands the same memory to the
 * worker instead of copying up to 64 MB per file analysed.
 */
export interface SharedFiles {
  readonly buffer: SharedArrayBuffer;
  /** `[path, offset, length]` per file, sorted by path. */
  readonly index: readonly (readonly [string, number, number])[];
  /** The device's container path mappings, applied when a parser resolves a path. */
  readonly mappings?: readonly PathMapping[];
}

/** Analysis of one snapshot: what `analyzeSnapshot` takes, as cloneable data. */
export interface AnalyzeTask {
  readonly kind: 'analyze';
  readonly inputs: Omit<AnalyzeSnapshotInputs, 'context' | 'graph'>;
  readonly files?: SharedFiles;
  readonly graph?: GraphData;
  /** Compliance rules to evaluate on the new version's parse, in the same worker. */
  readonly rules?: readonly ComplianceRule[];
  /**
   * Return what is only stored, packed for the store (store/sealed-json.ts
   * `packJson`): the parse tree as `parsedPacked` (`parsed` is then null)
   * and the impact with the changes as `impactPacked` (`changes` then empty).
   */
  readonly packForStore?: boolean;
  /**
   * The template this version departs from by hand (the file was last
   * rendered from it, and this version holds other bytes): its impact
   * gets a `template-hand-edit` reason naming template and version.
   */
  readonly handEdit?: { readonly template: string; readonly version: number };
}

/** An analysis whose large parts may come packed (see AnalyzeTask.packForStore). */
export interface PackedAnalysis extends SnapshotAnalysis {
  readonly parsedPacked?: Uint8Array;
  readonly impactPacked?: Uint8Array;
}

/** What an analysis returns: the snapshot's analysis and, with rules, their outcomes on it. */
export type AnalyzedSnapshot = PackedAnalysis & { readonly compliance?: readonly RuleOutcome[] };

/**
 * Compliance rules evaluated on files: already parsed (the fleet-wide run),
 * or given as bytes and parsed here against the device's other files (an
 * sshd_config judged again after one of its drop-ins changed).
 */
export interface ComplianceTask {
  readonly kind: 'compliance';
  readonly rules: readonly ComplianceRule[];
  readonly files: readonly ComplianceFile[];
  readonly context?: SharedFiles;
}

export interface ComplianceFile {
  readonly path: string;
  readonly type: ConfigType;
  /** The stored parse; ignored when `content` is given. */
  readonly parsed?: unknown;
  readonly content?: Uint8Array;
}

/** A line diff between two versions. */
export interface ContentDiffTask {
  readonly kind: 'content-diff';
  readonly before: Uint8Array;
  readonly after: Uint8Array;
  readonly names: { readonly from: string; readonly to: string };
}

/** A template render (templates/render-task.ts): sandboxed Liquid, then the type's parser. */
export type { TemplateTask, TemplateTaskResult };

export type AnalysisTask = AnalyzeTask | ContentDiffTask | ComplianceTask | TemplateTask;

/** What each kind of task returns. */
export type TaskResult<T extends AnalysisTask> = T extends AnalyzeTask ? AnalyzedSnapshot : T extends ComplianceTask ? RuleOutcome[][] : T extends TemplateTask ? TemplateTaskResult : ContentDiff;

/** Packs files into one SharedArrayBuffer. */
export function shareFiles(files: ReadonlyMap<string, Buffer>): SharedFiles {
  let size = 0;
  for (const bytes of files.values()) size += bytes.length;
  const buffer = new SharedArrayBuffer(size);
  const view = new Uint8Array(buffer);
  const index: [string, number, number][] = [];
  let offset = 0;
  for (const path of [...files.keys()].sort()) {
    const bytes = files.get(path)!;
    view.set(bytes, offset);
    index.push([path, offset, bytes.length]);
    offset += bytes.length;
  }
  return { buffer, index };
}

/** The parse context over shared files: reads are views, not copies. */
export function sharedContext(files: SharedFiles): Pick<ParseContext, 'readFile' | 'glob'> {
  const where = new Map(files.index.map(([path, offset, length]) => [path, [offset, length] as const]));
  const paths = files.index.map(([path]) => path);
  return {
    readFile: (path) => {
      const at = where.get(path);
      return at && Buffer.from(files.buffer, at[0], at[1]);
    },
    glob: (pattern) => {
      const matches = picomatch(pattern, { dot: true });
      return paths.filter((path) => matches(path));
    },
  };
}

/** Bytes as a Buffer: structured cloning turns Buffers into plain Uint8Arrays. */
const asBuffer = (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));

export function runAnalysisTask(task: AnalysisTask): AnalyzedSnapshot | ContentDiff | RuleOutcome[][] | TemplateTaskResult {
  if (task.kind === 'template') return runTemplateTask(task);
  if (task.kind === 'content-diff') return diffContents(asBuffer(task.before), asBuffer(task.after), task.names);
  if (task.kind === 'compliance') {
    const context = task.context ? mappedContext(sharedContext(task.context), task.context.mappings ?? []) : {};
    return task.files.map((f) => {
      const parsed = f.content ? getParser(f.type).parse(asBuffer(f.content), { ...context, path: f.path }).data : f.parsed;
      return evaluateFile(task.rules, f.type, f.path, parsed);
    });
  }
  const { inputs } = task;
  const analysis = analyzeSnapshot({
    ...inputs,
    ...(inputs.content ? { content: asBuffer(inputs.content) } : {}),
    ...(inputs.previousContent ? { previousContent: asBuffer(inputs.previousContent) } : {}),
    ...(task.files ? { context: mappedContext(sharedContext(task.files), task.files.mappings ?? []) } : {}),
    ...(task.graph ? { graph: new DependencyGraph(task.graph) } : {}),
  });
  if (task.handEdit) {
    analysis.impact.reasons.push({
      rule: 'template-hand-edit',
      level: 'LOW',
      detail: `edited by hand, last rendered from template ${task.handEdit.template} v${task.handEdit.version}`,
    });
  }
  const compliance = task.rules && analysis.parsed !== null ? { compliance: evaluateFile(task.rules, inputs.type, inputs.snapshot.path, analysis.parsed) } : {};
  if (!task.packForStore) return { ...analysis, ...compliance };
  const parsed = analysis.parsed === null || analysis.parsed === undefined ? {} : { parsed: null, parsedPacked: packJson(analysis.parsed) };
  return { ...analysis, ...parsed, changes: [], impactPacked: packJson({ ...analysis.impact, changes: analysis.changes }), ...compliance };
}
