/**
 * Runs analysis on every stored snapshot, off the capture path: parse the
 * new content, semantic diff against the previous version, impact (with the
 * device's dependency graph), stored back on the snapshot; then the
 * device's derived dependency graph is rebuilt once the burst settles.
 * Work is queued per process and never blocks `config.changed`; batches
 * stored in quick succession (a burst being captured) are analysed once
 * the burst pauses, so parsing does not compete with storing it.
 *
 * The analysis itself runs in the analysis pool's workers, under a time
 * and memory budget: a snapshot over budget is stored with `analysis
 * skipped: over budget` in place of its analysis, `analysis.skipped` is
 * published, and the queue moves on.
 */
import { buildDependencyGraph, GRAPH_SOURCE_TYPES, type ParsedFile } from '../analysis/dependency-graph.js';
import type { Impact } from '../analysis/impact.js';
import type { TemplateRepository } from '../store/templates.repository.js';
import type { AnalysisPool, BudgetKind } from '../compute/analysis-pool.js';
import { type SharedFiles, shareFiles } from '../compute/analysis-tasks.js';
import type { EventBus } from '../events/event-bus.js';
import { reportFailure } from '../events/failure.js';
import { createLogger, type Logger } from '../logging.js';
import { ConfwatchError } from '../errors.js';
import type { ConfigType } from '../parsers/parser.js';
import { getParser } from '../parsers/registry.js';
import type { ComplianceService } from './compliance.service.js';
import type { DependencyEdgeStore } from '../store/dependency-edges.js';
import { PackedJson } from '../store/sealed-json.js';
import type { DependencyGraph } from '../store/graph-queries.js';
import type { SnapshotRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { mappingsFor, type PathMapping } from '../transport/path-mapping.js';
import type { RemotePath } from '../transport/remote-path.js';

/** Config types whose parsers read other files of the device. */
const CONTEXT_TYPES: ReadonlySet<ConfigType> = new Set(['nginx', 'compose', 'systemd', 'sshd', 'env']);
/** Bounds on what is loaded to give parsers the device's other files. */
const MAX_CONTEXT_FILES = 2_000;
const MAX_CONTEXT_BYTES = 64 * 1024 * 1024;

/** Batches arriving closer together than this are one burst: its analysis starts once it pauses. */
const ANALYSIS_SETTLE_MS = 200;
/** A steady trickle of batches still gets analysed after this long. */
const MAX_ANALYSIS_DELAY_MS = 5_000;

/** Quiet time before a device's graph is rebuilt after changes. */
const GRAPH_REBUILD_DELAY_MS = 1_000;
/** Latest snapshots loaded at once during a rebuild: few round trips, bounded memory. */
const REBUILD_CHUNK = 100;

/** What a snapshot over budget carries in place of its analysis (parse errors and impact reason). */
export const ANALYSIS_SKIPPED = 'analysis skipped: over budget';

export interface AnalysisServiceOptions {
  /** Runs the analysis (and compliance re-judging) off the event loop, under its budget. */
  readonly pool: Pick<AnalysisPool, 'analyze' | 'compliance'>;
  /** Where `analysis.skipped` is published; without it nothing is. */
  readonly bus?: Pick<EventBus, 'publish'>;
  readonly log?: Logger;
  /** Evaluates the file's compliance rules in the same worker task and records them; without it none are. */
  readonly compliance?: Pick<ComplianceService, 'judges' | 'rules' | 'record' | 'forget'>;
  /**
   * The renders of templates applied to files (store/templates.repository.ts):
   * a version holding a render's bytes marks it applied; a later version
   * that holds none is flagged in its impact as edited by hand. Without it
   * nothing is flagged.
   */
  readonly renders?: Pick<TemplateRepository, 'renders' | 'markApplied'>;
  /** The parser version recorded (and compared by reanalyze) per type, in place of `Parser.version`: a version bump without editing a constant. */
  readonly parserVersions?: Partial<Record<ConfigType, number>>;
}

/** Which stored parses `reanalyze` redoes: by default the latest version of every tracked file of every device. */
export interface ReanalyzeOptions {
  readonly device?: string;
  readonly type?: ConfigType;
  /** Every stored version, not only each file's latest. */
  readonly all?: boolean;
  /** Called after each version re-analysed (or failed), with how many there are to do. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ReanalyzeCounts {
  /** Versions looked at. */
  checked: number;
  /** Parsed and analysed again, the current parser version recorded. */
  reanalyzed: number;
  /** Already parsed by the current parser version. */
  skipped: number;
  /** The analysis failed or went over budget; the version keeps its older parse. */
  failed: number;
}

export interface ReanalyzeSummary extends ReanalyzeCounts {
  readonly byType: Partial<Record<ConfigType, ReanalyzeCounts>>;
}

export class AnalysisService {
  /** Batches whose records are still being looked up. */
  readonly #loading = new Set<Promise<void>>();
  readonly #store: SnapshotStore;
  readonly #edges: DependencyEdgeStore;
  readonly #log: Logger;
  readonly #pool: Pick<AnalysisPool, 'analyze' | 'compliance'>;
  readonly #bus: Pick<EventBus, 'publish'> | undefined;
  readonly #compliance: AnalysisServiceOptions['compliance'];
  readonly #renders: AnalysisServiceOptions['renders'];
  readonly #parserVersions: Partial<Record<ConfigType, number>>;
  #queue: Promise<void> = Promise.resolve();
  /** Stored batches waiting for the burst to pause. */
  #pending: SnapshotRecord[][] = [];
  #pendingSince = 0;
  #settle: ReturnType<typeof setTimeout> | undefined;
  readonly #rebuilds = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #pendingRebuilds = new Set<Promise<void>>();

  constructor(store: SnapshotStore, edges: DependencyEdgeStore, options: AnalysisServiceOptions) {
    this.#store = store;
    this.#edges = edges;
    this.#pool = options.pool;
    this.#bus = options.bus;
    this.#compliance = options.compliance;
    this.#renders = options.renders;
    this.#parserVersions = options.parserVersions ?? {};
    // failures must never pass unnoticed: a logger even when none is given
    this.#log = options.log ?? createLogger('analysis');
  }

  /**
   * Queues stored snapshots for analysis (returns at once). Given a promise
   * (records still being looked up), queues them once it resolves, and
   * idle() waits for it.
   */
  enqueue(records: readonly SnapshotRecord[] | Promise<readonly SnapshotRecord[]>): void {
    if (!Array.isArray(records)) {
      const queued = (records as Promise<readonly SnapshotRecord[]>).then((found) => this.enqueue(found)).finally(() => this.#loading.delete(queued));
      this.#loading.add(queued);
      return;
    }
    if (records.length === 0) return;
    if (this.#pending.length === 0) this.#pendingSince = Date.now();
    this.#pending.push([...records]);
    clearTimeout(this.#settle);
    const overdue = Date.now() - this.#pendingSince >= MAX_ANALYSIS_DELAY_MS;
    this.#settle = overdue ? undefined : setTimeout(() => this.#drain(), ANALYSIS_SETTLE_MS);
    if (overdue) this.#drain();
  }

  /** Hands the waiting batches to the queue. */
  #drain(): void {
    clearTimeout(this.#settle);
    this.#settle = undefined;
    for (const batch of this.#pending.splice(0)) {
      this.#queue = this.#queue.then(async () => {
        const contexts = new Map<string, Promise<SharedFiles | undefined>>();
        // one graph per device and batch: loading it per snapshot costs a burst thousands of queries and graphs
        const graphs = new Map<string, Promise<DependencyGraph>>();
        for (const record of batch) {
          if (!contexts.has(record.device)) contexts.set(record.device, this.#deviceContext(record.device, batch));
          if (!graphs.has(record.device)) graphs.set(record.device, this.#edges.load(record.device));
          const context = await contexts.get(record.device);
          const graph = await graphs.get(record.device)?.catch(() => undefined);
          await this.analyze(record, context, graph).catch((error: unknown) =>
            this.#reportFailure(record.device, { path: record.path, snapshotId: record.id, stage: 'analyze' }, error),
          );
        }
        for (const device of new Set(batch.map((r) => r.device))) {
          this.#scheduleRebuild(device);
          if (this.#compliance && batch.some((r) => r.device === device && r.configType === 'sshd' && !this.#compliance?.judges(r.configType, r.path))) {
            await this.#rejudgeSshd(device, await contexts.get(device)).catch((error: unknown) =>
              this.#reportFailure(device, { path: null, snapshotId: null, stage: 'analyze' }, error),
            );
          }
        }
      });
    }
  }

  /** Resolves when every version queued so far has been analysed; graph rebuilds keep their own schedule. */
  async analysed(): Promise<void> {
    while (this.#loading.size > 0) await Promise.allSettled([...this.#loading]);
    this.#drain();
    await this.#queue;
  }

  /** Resolves when everything queued so far has been analysed and graphs rebuilt. */
  async idle(): Promise<void> {
    await this.analysed();
    for (const [device, timer] of this.#rebuilds) {
      clearTimeout(timer);
      this.#rebuilds.delete(device);
      await this.#rebuild(device);
    }
    await Promise.all(this.#pendingRebuilds);
  }

  /** The parser version a type's parses are recorded with. */
  parserVersion(type: ConfigType): number {
    return this.#parserVersions[type] ?? getParser(type).version;
  }

  /**
   * Analyses one snapshot in the pool and stores the result (false: it
   * went over budget, and that is stored). `judge: false` leaves the
   * file's compliance alone: the snapshot is not its latest version.
   */
  async analyze(record: SnapshotRecord, files?: SharedFiles, deviceGraph?: DependencyGraph, judge = true): Promise<boolean> {
    const content = record.hasContent && record.contentHash ? await this.#store.readContent(record) : undefined;
    const previous = record.previousId ? await this.#store.getSnapshot(record.previousId) : undefined;
    const previousContent = previous?.hasContent && previous.contentHash ? await this.#store.readContent(previous) : undefined;
    const graph = deviceGraph ?? (await this.#edges.load(record.device));
    const compliance = judge && this.#compliance?.judges(record.configType, record.path) ? this.#compliance : undefined;
    const rules = compliance && record.changeType !== 'deleted' ? await compliance.rules() : undefined;
    const handEdit = await this.#handEdit(record);
    const outcome = await this.#pool.analyze({
      inputs: {
        snapshot: { path: record.path, device: record.device, changeType: record.changeType },
        type: record.configType,
        ...(content ? { content } : {}),
        ...(previousContent ? { previousContent } : {}),
        // the stored parse stands in only for bytes no longer held; cloning it to the worker otherwise is waste
        ...(!previousContent && previous?.parsed ? { previousParsed: previous.parsed } : {}),
      },
      ...(files ? { files } : {}),
      graph: { nodes: graph.nodes, edges: graph.edges },
      ...(rules ? { rules } : {}),
      ...(handEdit ? { handEdit } : {}),
      // the tree and the changes only go to the store: packed in the worker, they are never cloned, serialised or compressed here
      packForStore: true,
    });
    if (!outcome.ok) {
      await this.#skipped(record, outcome.budget, outcome.limit);
      return false;
    }
    const result = outcome.value;
    await this.#store.annotateSnapshot(record.id, {
      parsed: result.parsedPacked ? new PackedJson(result.parsedPacked) : result.parsed,
      parseErrors: result.parseErrors.map((e) => ({ message: e.message, ...(e.line ? { line: e.line } : {}), ...(e.column ? { column: e.column } : {}) })),
      impact: result.impactPacked ? new PackedJson(result.impactPacked) : { ...result.impact, changes: result.changes },
      parserVersion: this.parserVersion(record.configType),
    });
    if (compliance && record.changeType === 'deleted') await compliance.forget(record.device, record.path);
    else if (compliance) await compliance.record(record.device, record.path, record.id, result.compliance ?? []);
    return true;
  }

  /**
   * The impact of a proposed version that is not stored (a change
   * request's candidate), assessed in the pool like a captured one: both
   * versions parsed against the device's stored files, diffed, judged with
   * the device's graph. A candidate over budget is assessed HIGH with that
   * reason, since nobody could say what it does.
   */
  async assessCandidate(candidate: {
    device: string;
    path: RemotePath;
    type: ConfigType;
    /** The version it replaces; undefined when the file does not exist. */
    before?: Buffer;
    /** The proposed bytes; undefined for a delete. */
    after?: Buffer;
  }): Promise<Impact> {
    const changeType = candidate.after === undefined ? 'deleted' : candidate.before === undefined ? 'created' : 'modified';
    const probe = { device: candidate.device, configType: candidate.type } as SnapshotRecord;
    const files = await this.#deviceContext(candidate.device, [probe]);
    const graph = await this.#edges.load(candidate.device).catch(() => undefined);
    const outcome = await this.#pool.analyze({
      inputs: {
        snapshot: { path: candidate.path, device: candidate.device, changeType },
        type: candidate.type,
        ...(candidate.after ? { content: candidate.after } : {}),
        ...(candidate.before ? { previousContent: candidate.before } : {}),
      },
      ...(files ? { files } : {}),
      ...(graph ? { graph: { nodes: graph.nodes, edges: graph.edges } } : {}),
    });
    if (!outcome.ok) {
      return {
        riskLevel: 'HIGH',
        reasons: [{ rule: 'over-budget', level: 'HIGH', detail: `impact could not be assessed within the analysis ${outcome.budget} budget (${outcome.limit})` }],
        affectedServices: [],
        downstreamServices: [],
        requiresRestart: false,
        requiresReload: false,
        recommendedActions: [],
      } as Impact;
    }
    return outcome.value.impact;
  }

  /**
   * The template a version departs from by hand: the file's last render
   * that reached it (a stored version held its bytes) when this version
   * holds no render's bytes. A version holding a render's bytes marks that
   * render applied instead.
   */
  async #handEdit(record: SnapshotRecord): Promise<{ template: string; version: number } | undefined> {
    if (!this.#renders || record.changeType === 'deleted' || record.contentHash === null) return undefined;
    const renders = await this.#renders.renders(record.device, record.path);
    const same = renders.find((r) => r.contentHash === record.contentHash);
    if (same) {
      await this.#renders.markApplied(same.id, record.id);
      return undefined;
    }
    const last = renders.find((r) => r.appliedSnapshot !== null);
    return last ? { template: last.template, version: last.version } : undefined;
  }

  /**
   * Parses and analyses again the stored versions whose recorded parser
   * version is older than the current one (or unknown), the same way as
   * when they were captured, then rebuilds the graph of each device that
   * had any. Runs in the analysis queue, after what is queued already.
   */
  reanalyze(options: ReanalyzeOptions = {}): Promise<ReanalyzeSummary> {
    const run = this.#queue.then(() => this.#reanalyze(options));
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #reanalyze(options: ReanalyzeOptions): Promise<ReanalyzeSummary> {
    if (options.device !== undefined && !(await this.#store.getDevice(options.device))) {
      throw new ConfwatchError('CW_ERR_NOT_FOUND', `no device named "${options.device}"; see \`confwatch device list\``);
    }
    const devices = options.device !== undefined ? [options.device] : (await this.#store.listDevices()).map((d) => d.name);
    const summary: ReanalyzeSummary = { checked: 0, reanalyzed: 0, skipped: 0, failed: 0, byType: {} };
    const count = (type: ConfigType, outcome: 'reanalyzed' | 'skipped' | 'failed') => {
      const byType = summary.byType as Record<ConfigType, ReanalyzeCounts>;
      byType[type] ??= { checked: 0, reanalyzed: 0, skipped: 0, failed: 0 };
      for (const counts of [summary, byType[type]]) {
        counts.checked += 1;
        counts[outcome] += 1;
      }
    };
    const stale: { device: string; record: SnapshotRecord; latest: boolean }[] = [];
    for (const device of devices) {
      const tracked = (await this.#store.listTrackedFiles(device)).filter((t) => t.latestSnapshotId && !t.deleted && (options.type === undefined || t.configType === options.type));
      for (const file of tracked) {
        for (const record of await this.#versionsOf(file.device, file.path, file.latestSnapshotId as string, options.all === true)) {
          if (record.parserVersion !== null && record.parserVersion >= this.parserVersion(record.configType)) count(record.configType, 'skipped');
          else stale.push({ device, record, latest: record.id === file.latestSnapshotId });
        }
      }
    }
    let done = 0;
    for (const device of devices) {
      const mine = stale.filter((s) => s.device === device);
      if (mine.length === 0) continue;
      const files = await this.#deviceContext(device, mine.map((s) => s.record));
      const graph = await this.#edges.load(device);
      for (const { record, latest } of mine) {
        const analysed = await this.analyze(record, files, graph, latest).catch((error: unknown) => {
          this.#reportFailure(device, { path: record.path, snapshotId: record.id, stage: 'analyze' }, error);
          return false;
        });
        count(record.configType, analysed ? 'reanalyzed' : 'failed');
        options.onProgress?.(++done, stale.length);
      }
      await this.rebuildGraph(device);
    }
    return summary;
  }

  /** The file's latest version, or with `all` every stored version, oldest first (the latest is judged last). */
  async #versionsOf(device: string, path: RemotePath, latestId: string, all: boolean): Promise<SnapshotRecord[]> {
    if (!all) {
      const latest = await this.#store.getSnapshot(latestId);
      return latest ? [latest] : [];
    }
    const versions: SnapshotRecord[] = [];
    let cursor: string | null = null;
    do {
      const page = await this.#store.history(device, path, { limit: 500, cursor });
      versions.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return versions.reverse();
  }

  /**
   * An sshd drop-in changed: the device's main sshd_config files are judged
   * again, parsed in a worker against the device's files as they are now,
   * since a drop-in read at the `Include` can decide their effective values.
   */
  async #rejudgeSshd(device: string, files: SharedFiles | undefined): Promise<void> {
    const compliance = this.#compliance;
    if (!compliance) return;
    const mains = (await this.#store.listTrackedFiles(device)).filter(
      (t) => t.configType === 'sshd' && !t.deleted && t.contentHash && t.latestSnapshotId && compliance.judges(t.configType, t.path),
    );
    if (mains.length === 0) return;
    const rules = await compliance.rules();
    for (const main of mains) {
      const content = await this.#store.readContent({ contentHash: main.contentHash });
      const outcome = await this.#pool.compliance(rules, [{ path: main.path, type: 'sshd', content }], files);
      if (outcome.ok) await compliance.record(device, main.path, main.latestSnapshotId, outcome.value[0] ?? []);
    }
  }

  /**
   * Records that a snapshot was not analysed: its parse errors and impact
   * say so (a MEDIUM risk: a change nobody assessed), and the event names
   * the budget. The graph keeps the file's earlier contribution out, as
   * for a file that does not parse.
   */
  async #skipped(record: SnapshotRecord, budget: BudgetKind, limit: string): Promise<void> {
    const detail = `${ANALYSIS_SKIPPED} (${budget}, ${limit})`;
    const impact: Impact & { changes: []; skipped: { reason: string; budget: BudgetKind; limit: string } } = {
      riskLevel: 'MEDIUM',
      reasons: [{ rule: 'analysis-skipped', level: 'MEDIUM', detail }],
      affectedServices: [],
      downstreamServices: [],
      requiresRestart: false,
      requiresReload: false,
      recommendedActions: [],
      changes: [],
      skipped: { reason: ANALYSIS_SKIPPED, budget, limit },
    };
    await this.#store.annotateSnapshot(record.id, { parsed: null, parseErrors: [{ message: detail }], impact });
    this.#log.warn({ device: record.device, snapshot: record.id, budget, limit }, 'analysis skipped: over budget');
    this.#bus?.publish('analysis.skipped', record.device, { path: record.path, snapshotId: record.id, reason: 'over budget', budget, limit });
  }

  /**
   * The device's other files as the parsers need them (nginx includes,
   * compose `.env` and extended files, systemd drop-ins), from the latest
   * stored versions. Parsers read synchronously, so the contents are loaded
   * up front — only when the batch has such files, and only up to a bound —
   * into one shared buffer every worker task of the batch reads.
   */
  async #deviceContext(device: string, batch: readonly SnapshotRecord[]): Promise<SharedFiles | undefined> {
    if (!batch.some((r) => r.device === device && CONTEXT_TYPES.has(r.configType))) return undefined;
    const tracked = (await this.#store.listTrackedFiles(device)).filter((t) => !t.deleted && t.contentHash && t.latestSnapshotId);
    if (tracked.length > MAX_CONTEXT_FILES) return undefined;
    const files = new Map<string, Buffer>();
    let bytes = 0;
    for (const t of tracked) {
      const content = await this.#store.readContent({ contentHash: t.contentHash }).catch(() => undefined);
      if (!content) continue;
      bytes += content.length;
      if (bytes > MAX_CONTEXT_BYTES) return undefined;
      files.set(t.path, content);
    }
    return { ...shareFiles(files), mappings: await this.#mappings(device) };
  }

  /** The device's container path mappings: its own (`--map`) and its profiles' (`swag`). */
  async #mappings(device: string): Promise<PathMapping[]> {
    const record = await this.#store.getDevice(device);
    const profiles = await this.#store.listProfiles(device);
    return mappingsFor(record ?? {}, profiles);
  }

  /** Rebuilds a device's derived graph from the latest parsed snapshot of each tracked file. */
  async rebuildGraph(device: string): Promise<void> {
    const tracked = (await this.#store.listTrackedFiles(device)).filter((t) => t.latestSnapshotId && !t.deleted);
    const files: ParsedFile[] = [];
    for (let i = 0; i < tracked.length; i += REBUILD_CHUNK) {
      const chunk = await Promise.all(
        tracked.slice(i, i + REBUILD_CHUNK).map(async (t): Promise<ParsedFile | undefined> => {
          if (!GRAPH_SOURCE_TYPES.has(t.configType)) return { path: t.path, type: t.configType, parsed: null };
          const s = await this.#store.getSnapshot(t.latestSnapshotId as string);
          return s && s.changeType !== 'deleted' ? { path: s.path, type: s.configType, parsed: s.parsed } : undefined;
        }),
      );
      for (const file of chunk) if (file) files.push(file);
    }
    await this.#edges.replaceDerived(device, buildDependencyGraph(files, await this.#mappings(device)));
  }

  #scheduleRebuild(device: string): void {
    clearTimeout(this.#rebuilds.get(device));
    this.#rebuilds.set(
      device,
      setTimeout(() => {
        this.#rebuilds.delete(device);
        const run = this.#rebuild(device).finally(() => this.#pendingRebuilds.delete(run));
        this.#pendingRebuilds.add(run);
      }, GRAPH_REBUILD_DELAY_MS),
    );
  }

  /** A background rebuild: a failure is reported, never thrown. */
  #rebuild(device: string): Promise<void> {
    return this.rebuildGraph(device).catch((error: unknown) => this.#reportFailure(device, { path: null, snapshotId: null, stage: 'graph' }, error));
  }

  /** One log line and, with a bus, `analysis.failed`. */
  #reportFailure(device: string, fields: { path: RemotePath | null; snapshotId: string | null; stage: 'analyze' | 'graph' }, error: unknown): void {
    reportFailure({ log: this.#log, ...(this.#bus ? { bus: this.#bus } : {}) }, 'analysis.failed', device, fields, error);
  }
}
