/**
 * Turns events into alerts and alerts into outbox rows. It follows the bus:
 * `config.changed` tells which versions belong to which change set; when the
 * set closes (`config.changeset`) it waits for their analysis, takes the
 * highest risk, the impact reasons and a redacted diff excerpt, and raises
 * one alert for the whole set. Drift, validation and write-back failures
 * and disconnects past their grace period raise theirs. Each alert is
 * routed (policy.ts), checked against noise control (noise.ts), and queued,
 * held (quiet hours, digest) or recorded as suppressed, once per channel.
 *
 * Time comes from the clock it is given; `tick()` releases held alerts and
 * disconnects past their grace, and runs every second inside `serve`.
 */
import type { Impact } from '../analysis/impact.js';
import { isRiskLevel, maxLevel, type RiskLevel } from '../analysis/risk-level.js';
import { redactLine } from '../auth/redact.js';
import type { EventBus, Unsubscribe } from '../events/event-bus.js';
import type { ConfwatchEvent } from '../events/event-map.js';
import type { Logger } from '../logging.js';
import type { AlertRepository, NewDelivery, StoredDelivery } from '../store/alerts.repository.js';
import type { SnapshotRecord } from '../store/records.js';
import type { SnapshotStore } from '../store/snapshot-store.js';
import { type Alert, type AlertItem, type AlertKind, diffExcerpt, DIFF_EXCERPT_LINES, makeAlert } from './alert.js';
import { parseChannelUrl } from './channel-url.js';
import type { AlertDispatcher } from './dispatcher.js';
import { NoiseControl, type NoiseOptions } from './noise.js';
import { type AlertRule, quietUntil, type RoutableChannel, routeAlert } from './policy.js';

/** A redacted diff between two versions (services/diff.service.ts gives it). */
export interface DiffSource {
  diff(fromId: string, toId: string, options: { redact: true }): Promise<{ unified: string; message?: string }>;
}

/** Analysis that runs after capture; alerts on a change set wait for it. */
export interface AnalysisProgress {
  /** Resolves when every version queued so far is analysed (not waiting for graph rebuilds). */
  analysed(): Promise<void>;
}

export interface AlertEngineDeps {
  readonly repository: Pick<AlertRepository, 'listChannels' | 'listRules' | 'enqueue' | 'released' | 'holdRelease' | 'update'>;
  readonly store: Pick<SnapshotStore, 'getSnapshot' | 'getDevice' | 'getTrackedFile'>;
  readonly diffs: DiffSource;
  readonly analysis: AnalysisProgress;
  readonly dispatcher: Pick<AlertDispatcher, 'kick'>;
  readonly log: Logger;
  /** Default: the system clock. */
  readonly clock?: () => Date;
}

export interface AlertEngineOptions extends NoiseOptions {
  /** The URL users open (`serve --public-url`); alerts link into the UI under it. */
  readonly publicUrl?: string;
}

/** Files of a change set whose diff the excerpt shows at most. */
const DIFF_FILES = 3;
/** Change sets whose versions are remembered while they are open. */
const OPEN_SETS = 10_000;

/** A compliance rule's severity as an alert's risk level. */
const COMPLIANCE_RISK: Record<'low' | 'medium' | 'high' | 'critical', RiskLevel> = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' };

export class AlertEngine {
  readonly #deps: AlertEngineDeps;
  readonly #clock: () => Date;
  readonly #noise: NoiseControl;
  readonly #publicUrl: string | undefined;
  readonly #openSets = new Map<string, string[]>();
  #queue: Promise<void> = Promise.resolve();
  #unsubscribe: Unsubscribe | undefined;

  constructor(deps: AlertEngineDeps, options: AlertEngineOptions = {}) {
    this.#deps = deps;
    this.#clock = deps.clock ?? (() => new Date());
    this.#noise = new NoiseControl(options);
    this.#publicUrl = options.publicUrl?.replace(/\/$/, '');
  }

  /** Follows the bus until stop(). */
  start(bus: Pick<EventBus, 'subscribe'>): void {
    this.#unsubscribe = bus.subscribe((event) => this.observe(event));
  }

  /** Stops following the bus; waits for the events already taken. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    await this.idle();
  }

  /** Takes one event; alerts are raised in event order, off the publisher's call. */
  observe(event: ConfwatchEvent): void {
    if (event.type === 'config.changed') {
      if (event.changeSetId) this.#remember(event.changeSetId, event.snapshotId);
      return;
    }
    if (event.type === 'device.disconnected') this.#noise.disconnected(event.device, event.reason, this.#clock().getTime());
    if (event.type === 'device.connected') {
      if (!this.#noise.connected(event.device)) return;
    }
    this.#enqueueWork(() => this.#handle(event));
  }

  /** Resolves when every event taken so far is handled. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.#queue;
      await current;
    } while (current !== this.#queue);
  }

  /** Releases held alerts whose time came and alerts disconnects past their grace. */
  tick(): Promise<void> {
    const work = async () => {
      const now = this.#clock();
      for (const due of this.#noise.dueDisconnects(now.getTime())) {
        // a device removed on purpose is disconnected too: not worth waking anyone
        if (!(await this.#deps.store.getDevice(due.device))) continue;
        const minutes = Math.round((now.getTime() - due.since) / 60_000);
        await this.#raise(this.#alert('device.disconnected', due.device, 'HIGH', `${due.device} unreachable for ${minutes} min`, {
          summary: due.reason,
          incidentKey: `${due.device}::disconnected`,
        }), `disconnected:${due.device}:${new Date(due.since).toISOString()}`);
      }
      await this.#release(now);
    };
    this.#enqueueWork(work);
    return this.idle();
  }

  #enqueueWork(work: () => Promise<void>): void {
    this.#queue = this.#queue.then(work).catch((error: unknown) => this.#deps.log.warn({ err: error }, 'alert could not be raised'));
  }

  #remember(changeSetId: string, snapshotId: string): void {
    const ids = this.#openSets.get(changeSetId);
    if (ids) {
      ids.push(snapshotId);
      return;
    }
    if (this.#openSets.size >= OPEN_SETS) this.#openSets.delete(this.#openSets.keys().next().value as string);
    this.#openSets.set(changeSetId, [snapshotId]);
  }

  async #handle(event: ConfwatchEvent): Promise<void> {
    switch (event.type) {
      case 'config.changeset':
        return this.#changeSet(event);
      case 'config.drift.detected': {
        const alert = this.#alert('config.drift.detected', event.device, 'HIGH', `Drift on ${event.device}: ${event.path} is ${event.status}`, {
          path: event.path,
          summary: `${event.path} no longer matches its baseline (${event.status})`,
          incidentKey: `${event.device}:${event.path}:drift`,
        });
        // an unreachable device says so once, in its own alert: not once per file
        const inhibited = event.status === 'unreachable' || this.#noise.unreachable(event.device);
        return this.#raise(alert, `drift:${event.device}:${event.path}:${event.status}:${event.baselineHash}:${event.liveHash}`, inhibited ? 'inhibited: device unreachable' : undefined);
      }
      case 'config.drift.resolved': {
        const alert = this.#alert('config.drift.resolved', event.device, 'HIGH', `Drift resolved on ${event.device}: ${event.path} (${event.resolution})`, {
          path: event.path,
          summary: `${event.path} was ${event.resolution === 'restore' ? 'restored to its baseline' : 'accepted as the new baseline'}`,
          incidentKey: `${event.device}:${event.path}:drift`,
          action: 'resolve',
          snapshotId: event.snapshotId,
        });
        return this.#raise(alert, `drift-resolved:${event.device}:${event.path}:${event.snapshotId ?? event.at}`);
      }
      case 'validation.failed': {
        // the tool's output may quote the file: it stays in confwatch
        const summary = event.error ? `validation could not run: ${event.error}` : `${event.tool || 'validation'} refused the file; see its output in confwatch`;
        const alert = this.#alert('validation.failed', event.device, event.error ? 'MEDIUM' : 'HIGH', `Validation failed on ${event.device}: ${event.path}`, {
          path: event.path,
          summary,
          snapshotId: event.snapshotId,
          incidentKey: `${event.device}:${event.path}:validation`,
        });
        return this.#raise(alert, `validation:${event.device}:${event.path}:${event.snapshotId ?? event.at}`, this.#inhibited(event.device));
      }
      case 'writeback.failed': {
        const alert = this.#alert('writeback.failed', event.device, 'HIGH', `Write-back failed on ${event.device} (${event.operation})`, {
          paths: event.paths,
          // the first line only, redacted: a refusal can quote a validation tool's output
          summary: redactLine(event.error.split('\n')[0] ?? '').slice(0, 300),
          incidentKey: `${event.device}:${event.paths[0] ?? ''}:writeback`,
        });
        return this.#raise(alert, `writeback:${event.device}:${event.at}:${event.id}`);
      }
      case 'compliance.failed':
      case 'compliance.passed': {
        // the finding's message and line quote the file: only the rule's own title leaves confwatch
        const failed = event.type === 'compliance.failed';
        // like a change set, the first versions of a device's files are its baseline: their findings are in the report, not a page
        const judged = event.snapshotId ? await this.#deps.store.getSnapshot(event.snapshotId) : undefined;
        if (judged?.changeType === 'initial') return;
        const alert = this.#alert(event.type, event.device, COMPLIANCE_RISK[event.severity], `Compliance ${failed ? 'failure' : 'cleared'} on ${event.device}: ${event.rule} (${event.path})`, {
          path: event.path,
          summary: `${event.title}${failed && event.waiverExpired ? ' (its waiver expired)' : ''}`,
          snapshotId: event.snapshotId,
          incidentKey: `${event.device}:${event.path}:${event.rule}`,
          action: failed ? 'trigger' : 'resolve',
        });
        return this.#raise(alert, `${event.type}:${event.device}:${event.path}:${event.rule}:${event.snapshotId ?? event.at}`, failed ? this.#inhibited(event.device) : undefined);
      }
      case 'change.proposed':
      case 'change.approved':
      case 'change.rejected':
      case 'change.applied':
      case 'change.conflict':
        return this.#changeRequest(event);
      case 'device.connected': {
        const alert = this.#alert('device.disconnected', event.device, 'HIGH', `${event.device} is reachable again`, {
          summary: `connected to ${event.target}`,
          incidentKey: `${event.device}::disconnected`,
          action: 'resolve',
        });
        return this.#raise(alert, `connected:${event.device}:${event.at}`);
      }
      default:
        return;
    }
  }

  /**
   * Change requests: reviewers hear of proposals, authors of reviews,
   * everyone of applies and conflicts. A break-glass apply is CRITICAL
   * whatever the request's risk; a conflict at least HIGH. Only names,
   * hashes and the impact level leave confwatch, never the diff.
   */
  async #changeRequest(event: ConfwatchEvent<'change.proposed' | 'change.approved' | 'change.rejected' | 'change.applied' | 'change.conflict'>): Promise<void> {
    const risk: RiskLevel = isRiskLevel(event.riskLevel) ? event.riskLevel : 'MEDIUM';
    const id = event.requestId;
    const where = event.devices.join(', ');
    let level = risk;
    let title: string;
    let summary: string;
    let actor: string | null = null;
    switch (event.type) {
      case 'change.proposed':
        actor = event.author;
        title = `Change request ${event.revision > 1 ? 'revised' : 'proposed'} on ${where}: ${event.title}`;
        summary =
          event.status === 'approved'
            ? `proposed by ${event.author}; ${risk} needs no approval`
            : `proposed by ${event.author}; needs ${event.requiredApprovals} approval${event.requiredApprovals === 1 ? '' : 's'} from users other than the author`;
        break;
      case 'change.approved':
        actor = event.reviewer;
        title = `Change request ${event.status === 'approved' ? 'approved' : 'approval'} on ${where}: ${event.title}`;
        summary = `approved by ${event.reviewer} (${event.approvals} of ${event.requiredApprovals})`;
        break;
      case 'change.rejected':
        actor = event.reviewer;
        title = `Change request rejected on ${where}: ${event.title}`;
        summary = `rejected by ${event.reviewer}`;
        break;
      case 'change.applied':
        actor = event.actor;
        level = event.breakGlass ? 'CRITICAL' : risk;
        title = event.breakGlass ? `Break-glass apply on ${where}: ${event.title}` : `Change request applied on ${where}: ${event.title}`;
        summary = event.breakGlass
          ? `${event.actor} applied it without the required approvals: ${redactLine(event.reason ?? '').slice(0, 300)}`
          : `applied by ${event.actor}; proposed by ${event.author}, approved by ${event.approvers.join(', ') || 'policy'}`;
        break;
      default:
        level = maxLevel(risk, 'HIGH');
        title = `Change request conflict on ${where}: ${event.title}`;
        summary = `not applied, nothing written: ${event.conflicts.map((c) => `${c.device}:${c.path}`).join(', ')} changed since it was approved; rebase it`;
    }
    const alert = this.#alert(event.type, event.device, level, title, {
      paths: event.paths,
      summary,
      actor,
      source: 'change-request',
      incidentKey: `change-request:${id}`,
      action: (event.type === 'change.applied' && !event.breakGlass) || event.type === 'change.rejected' ? 'resolve' : 'trigger',
      link: this.#publicUrl ? `${this.#publicUrl}/changes/${encodeURIComponent(id)}` : null,
    });
    return this.#raise(alert, `${event.type}:${id}:${event.id}:${event.at}`);
  }

  #inhibited(device: string): string | undefined {
    return this.#noise.unreachable(device) ? 'inhibited: device unreachable' : undefined;
  }

  async #changeSet(event: ConfwatchEvent<'config.changeset'>): Promise<void> {
    const ids = this.#openSets.get(event.changeSetId) ?? [];
    this.#openSets.delete(event.changeSetId);
    await this.#deps.analysis.analysed();
    const found = (await Promise.all(ids.map((id) => this.#deps.store.getSnapshot(id)))).filter((s): s is SnapshotRecord => s !== undefined);
    // the first versions of files already there are the baseline, not a change anyone made
    const changed = found.filter((s) => s.changeType !== 'initial');
    if (found.length > 0 && changed.length === 0) return;
    // a file written twice within the set: its last version stands for it
    const snapshots = [...new Map(changed.map((s) => [s.path, s])).values()];
    let risk: RiskLevel = 'LOW';
    const reasons: string[] = [];
    const affected = new Set<string>();
    const downstream = new Set<string>();
    let topRule = 'change';
    let topLevel: RiskLevel | undefined;
    for (const snapshot of snapshots) {
      const impact = snapshot.impact as Impact | null;
      if (!impact || !isRiskLevel(impact.riskLevel)) continue;
      risk = maxLevel(risk, impact.riskLevel);
      for (const reason of impact.reasons ?? []) {
        if (topLevel === undefined || maxLevel(reason.level, topLevel) !== topLevel) {
          topLevel = reason.level;
          topRule = reason.rule;
        }
        // reasons are written by the impact rules, but a quoted value could look like an assignment
        const line = redactLine(`${snapshots.length > 1 ? `${snapshot.path}: ` : ''}${reason.detail}`);
        if (!reasons.includes(line)) reasons.push(line);
      }
      for (const s of impact.affectedServices ?? []) affected.add(s);
      for (const s of impact.downstreamServices ?? []) downstream.add(s);
    }
    const paths = snapshots.length > 0 ? snapshots.map((s) => s.path) : event.paths;
    const first = snapshots[0];
    const flap = this.#noise.flap(paths.map((p) => `${event.device}\u0000${p}`), this.#clock().getTime());
    const title = flap === 'started' ? `${event.title} on ${event.device} is flapping — ${risk}` : `${event.title} on ${event.device} — ${risk}`;
    const alert = this.#alert('config.changeset', event.device, risk, title, {
      paths,
      summary: reasons.join('; ') || `${paths.length} file${paths.length === 1 ? '' : 's'} changed`,
      reasons,
      affectedServices: [...affected],
      downstreamServices: [...downstream],
      diff: await this.#diffExcerpt(snapshots),
      snapshotId: first?.id ?? null,
      changeSetId: event.changeSetId,
      source: first?.source ?? null,
      actor: first?.actor ?? null,
      incidentKey: `${event.device}:${paths[0] ?? ''}:${topRule}`,
    });
    const signature = `changeset:${event.device}:${snapshots.map((s) => `${s.path}@${s.contentHash}`).sort().join(',')}`;
    const duplicate = this.#noise.duplicate(signature, this.#clock().getTime());
    const why =
      flap === 'flapping' ? 'suppressed: flapping' : duplicate ? 'suppressed: the same change within the dedup window' : this.#inhibited(event.device);
    return this.#raise(alert, `changeset:${event.changeSetId}`, why);
  }

  async #diffExcerpt(snapshots: readonly SnapshotRecord[]): Promise<string> {
    const parts: string[] = [];
    for (const snapshot of snapshots.slice(0, DIFF_FILES)) {
      if (!snapshot.previousId) continue;
      try {
        const diff = await this.#deps.diffs.diff(snapshot.previousId, snapshot.id, { redact: true });
        if (diff.unified) parts.push(diffExcerpt(diff.unified, DIFF_EXCERPT_LINES));
      } catch (error) {
        this.#deps.log.warn({ err: error, snapshot: snapshot.id }, 'alert diff excerpt failed');
      }
    }
    if (snapshots.length > DIFF_FILES) parts.push(`… and ${snapshots.length - DIFF_FILES} more files`);
    return diffExcerpt(parts.join('\n'), DIFF_EXCERPT_LINES * 2);
  }

  #alert(event: AlertKind, device: string, riskLevel: RiskLevel, title: string, fields: Partial<Alert> & { incidentKey: string }): Alert {
    const alert = makeAlert({
      event,
      device,
      riskLevel,
      title: title.endsWith(` — ${riskLevel}`) ? title : `${title} — ${riskLevel}`,
      at: this.#clock().toISOString(),
      ...fields,
    });
    return fields.link === undefined ? { ...alert, link: this.#link(device, alert.path) } : alert;
  }


  #link(device: string, path: string | null): string | null {
    if (!this.#publicUrl) return null;
    const base = `${this.#publicUrl}/devices/${encodeURIComponent(device)}`;
    return path ? `${base}/file?path=${encodeURIComponent(path)}` : base;
  }

  /** Routes an alert and writes its outbox rows: queued, held, or suppressed with `suppressed` as the reason. */
  async #raise(alert: Alert, dedupKey: string, suppressed?: string): Promise<void> {
    const [stored, rules] = await Promise.all([this.#deps.repository.listChannels(), this.#deps.repository.listRules()]);
    const channels: RoutableChannel[] = stored.flatMap((c) => {
      try {
        return [{ name: c.name, kind: parseChannelUrl(c.url).kind, minRisk: c.minRisk !== null && isRiskLevel(c.minRisk) ? c.minRisk : null }];
      } catch {
        return [];
      }
    });
    const ruleList = rules.map((r) => r.spec as AlertRule);
    const needsTags = ruleList.some((r) => r.tags.length > 0);
    const tags = needsTags ? ((await this.#deps.store.getDevice(alert.device))?.tags ?? []) : [];
    const routes = routeAlert(alert, tags, ruleList, channels);
    if (routes.length === 0) return;
    const now = this.#clock();
    const rows: NewDelivery[] = [];
    for (const route of routes) {
      const base = { channel: route.channel, event: alert.event, device: alert.device, riskLevel: alert.riskLevel, dedupKey, payload: alert };
      if (suppressed) {
        rows.push({ ...base, status: 'suppressed', nextAttemptAt: now.toISOString(), lastError: suppressed });
        continue;
      }
      rows.push({ ...base, ...(await this.#hold(route.rule, route.channel, alert, now)) });
    }
    const written = await this.#deps.repository.enqueue(rows, now);
    if (written.some((row) => row.status === 'queued')) this.#deps.dispatcher.kick();
  }

  /** Queued now, or held until the end of the rule's quiet hours or digest window (CRITICAL is never held). */
  async #hold(rule: AlertRule | null, channel: string, alert: Alert, now: Date): Promise<Pick<NewDelivery, 'status' | 'nextAttemptAt' | 'holdGroup'>> {
    const queued = { status: 'queued' as const, nextAttemptAt: now.toISOString() };
    if (!rule || alert.riskLevel === 'CRITICAL') return queued;
    const quietEnd = rule.quiet ? quietUntil(rule.quiet, now) : null;
    if (quietEnd) return { status: 'held', nextAttemptAt: quietEnd.toISOString(), holdGroup: `quiet:${rule.name}:${channel}` };
    if (rule.digestSec) {
      const group = `digest:${rule.name}:${channel}`;
      const release = (await this.#deps.repository.holdRelease(group)) ?? new Date(now.getTime() + rule.digestSec * 1000).toISOString();
      return { status: 'held', nextAttemptAt: release, holdGroup: group };
    }
    return queued;
  }

  /** Held alerts whose time came: a group of one is sent as it is, a larger group as one summary. */
  async #release(now: Date): Promise<void> {
    const released = await this.#deps.repository.released(now, 1000);
    if (released.length === 0) return;
    const groups = new Map<string, StoredDelivery[]>();
    for (const row of released) {
      const key = row.holdGroup ?? row.id;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    let queued = false;
    for (const [group, rows] of groups) {
      const only = rows[0] as StoredDelivery;
      if (rows.length === 1) {
        await this.#deps.repository.update(only.id, { status: 'queued', nextAttemptAt: now.toISOString() }, now);
        queued = true;
        continue;
      }
      const summary = await this.#summary(group, rows);
      const written = await this.#deps.repository.enqueue(
        [
          {
            channel: only.channel,
            event: summary.event,
            device: summary.device,
            riskLevel: summary.riskLevel,
            dedupKey: `summary:${group}:${only.nextAttemptAt}`,
            status: 'queued',
            nextAttemptAt: now.toISOString(),
            payload: summary,
          },
        ],
        now,
      );
      const into = written[0]?.id ?? 'an earlier summary';
      for (const row of rows) await this.#deps.repository.update(row.id, { status: 'suppressed', lastError: `sent in summary ${into}` }, now);
      queued = true;
    }
    if (queued) this.#deps.dispatcher.kick();
  }

  async #summary(group: string, rows: readonly StoredDelivery[]): Promise<Alert> {
    const alerts = rows.map((row) => row.payload as Alert);
    const quiet = group.startsWith('quiet:');
    const rule = group.split(':')[1] ?? '';
    const items: AlertItem[] = [];
    for (const alert of alerts) {
      let unresolved = false;
      if (quiet && alert.event === 'config.drift.detected' && alert.path) {
        const tracked = await this.#deps.store.getTrackedFile(alert.device, alert.path);
        unresolved = tracked !== undefined && tracked.syncStatus !== 'synced';
      }
      items.push({ event: alert.event, device: alert.device, riskLevel: alert.riskLevel, title: alert.title, ...(unresolved ? { unresolved } : {}) });
    }
    const risk = alerts.reduce<RiskLevel>((level, a) => maxLevel(level, a.riskLevel), 'LOW');
    const devices = [...new Set(alerts.map((a) => a.device))];
    const open = items.filter((i) => i.unresolved).length;
    const title = quiet ? `${alerts.length} alerts held during quiet hours (rule ${rule})` : `Digest of ${alerts.length} alerts (rule ${rule})`;
    return this.#alert('alert.summary', devices.length === 1 ? (devices[0] as string) : devices.join(','), risk, title, {
      paths: [...new Set(alerts.flatMap((a) => a.paths))],
      summary: open > 0 ? `${open} drift${open === 1 ? '' : 's'} still unresolved` : `${alerts.length} alerts`,
      incidentKey: `summary:${group}`,
      items,
    });
  }
}
