/**
 * Response shapes of the API, taken from its zod schemas as types only (no
 * server code reaches the bundle). Shapes of routes whose schemas are not
 * exported are written out here and kept to what the UI reads.
 */
import type { z } from 'zod';
import type { whoAmI, loginResponse } from '../../api/routes/auth.schema.js';
import type { channelSchema, deliverySchema, ruleSchema, testSchema } from '../../api/routes/alerts.schema.js';
import type { deviceSchema } from '../../api/routes/devices.schema.js';
import type { changeRequestSchema } from '../../api/routes/change-requests.schema.js';
import type { trackedFileSchema } from '../../api/routes/files.schema.js';
import type { complianceResultSchema, complianceRulesSchema, complianceTrendSchema } from '../../api/routes/compliance.schema.js';
import type { parsedSchema, impactSchema, snapshotSchema } from '../../api/routes/snapshots.schema.js';
import type { renderResultSchema, templateDetailSchema, templateSchema } from '../../api/routes/templates.schema.js';
import type { ConfwatchEvent, EventType, WatchMode } from '../../events/event-map.js';

export type WhoAmI = z.infer<typeof whoAmI>;
export type LoginResponse = z.infer<typeof loginResponse>;
export type Device = z.infer<typeof deviceSchema>;
export type TrackedFile = z.infer<typeof trackedFileSchema>;
export type ComplianceResult = z.infer<typeof complianceResultSchema>;
export type ComplianceTrendPoint = z.infer<typeof complianceTrendSchema>['trend'][number];
export type ComplianceRuleInfo = z.infer<typeof complianceRulesSchema>['rules'][number];
export type Snapshot = z.infer<typeof snapshotSchema>;
export type ParsedView = z.infer<typeof parsedSchema>;
export type ImpactView = z.infer<typeof impactSchema>;
export type AlertChannel = z.infer<typeof channelSchema>;
export type AlertRuleView = z.infer<typeof ruleSchema>;
export type AlertDelivery = z.infer<typeof deliverySchema>;
export type AlertTestResult = z.infer<typeof testSchema>;
export type ChangeRequest = z.infer<typeof changeRequestSchema>;
export type TemplateSummary = z.infer<typeof templateSchema>;
export type TemplateDetail = z.infer<typeof templateDetailSchema>;
export type TemplateRender = z.infer<typeof renderResultSchema>;
export type { ConfwatchEvent, EventType, WatchMode };

/** One version in `GET /api/devices/:device/files/history`. */
export interface Version {
  readonly id: string;
  readonly contentHash: string | null;
  readonly size: number | null;
  readonly detectedAt: string;
  readonly changeType: string;
  readonly source: string;
  readonly actor: string | null;
  readonly changeSetId: string | null;
  readonly risk: string | null;
}

export interface HistoryPage {
  readonly device: string;
  readonly path: string;
  readonly versions: readonly Version[];
  readonly nextCursor: string | null;
}

/** `GET /api/diff?from=&to=` (SSE-free, pure data: type-only import from the service). */
export type { DiffCell, DiffRow, ContentDiff as DiffResult } from '../../services/diff.service.js';

export type { ChangeSetRecord as ChangeSet } from '../../store/records.js';

/** The impact assessment stored with a snapshot (`impact` in ImpactView). */
export interface Impact {
  readonly riskLevel: string;
  readonly reasons: readonly { readonly rule: string; readonly detail: string }[];
  readonly affectedServices: readonly string[];
  readonly downstreamServices: readonly string[];
  readonly requiresRestart: boolean;
  readonly requiresReload: boolean;
  readonly recommendedActions: readonly string[];
}

/** A validation outcome as restore and drift report it. */
export interface ValidationOutcome {
  readonly status: string;
  readonly tool?: string;
  readonly output?: string;
}

/** One file of a write-back (restore, batch), dry run or applied. */
export interface WritebackFile {
  readonly path: string;
  readonly action: 'write' | 'delete' | 'unchanged';
  /** Unified diff from the live file to what is (or would be) written. */
  readonly diff: string;
  readonly validation: ValidationOutcome | null;
}

/** `POST /api/snapshots/:id/restore` with `{dryRun}`: the write-back service's restore result. */
export interface RestoreResult {
  readonly status: 'applied' | 'dry-run';
  readonly files: readonly WritebackFile[];
}

/** `GET /api/devices/:device/deps`: the dependency graph. */
export interface GraphData {
  readonly nodes: readonly { readonly id: string; readonly kind: string; readonly name: string }[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly kind: string }[];
}
