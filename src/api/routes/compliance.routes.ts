/**
 * Compliance over the API: stored results, their score trend, a run, the
 * rules, waivers and the report. Reading needs `config:view`; running `config:edit`; a waiver
 * accepts a failure on someone's behalf, so it needs `config:approve`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { redactUnifiedDiff } from '../../auth/redact.js';
import type { ComplianceService } from '../../services/compliance.service.js';
import { noteAuditTarget } from '../plugins/guard.js';
import { changeRequestFor } from './change-requests.routes.js';
import { errorSchema, guardedErrors } from './common.schema.js';
import {
  complianceQuery,
  complianceResultsSchema,
  complianceRulesSchema,
  complianceRunBody,
  complianceRunSchema,
  complianceTrendSchema,
  fixBody,
  fixSchema,
  waiveBody,
  waiverSchema,
  waiversSchema,
} from './compliance.schema.js';
import { seesSecrets } from './snapshots.routes.js';

export const complianceRoutes =
  (compliance: ComplianceService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/compliance', {
      config: { scope: 'config:view' },
      schema: { tags: ['compliance'], summary: 'Stored compliance results, per device, file and rule', querystring: complianceQuery, response: { 200: complianceResultsSchema, ...guardedErrors } },
      handler: async (request) => ({ results: await compliance.results(request.query.device) }),
    });

    app.get('/api/compliance/trend', {
      config: { scope: 'config:view' },
      schema: { tags: ['compliance'], summary: 'Score per device and pack over time, oldest first', querystring: complianceQuery, response: { 200: complianceTrendSchema, ...guardedErrors } },
      handler: async (request) => ({ trend: await compliance.trend(request.query.device) }),
    });

    app.post('/api/compliance/run', {
      config: { scope: 'config:edit', action: 'compliance.run' },
      schema: { tags: ['compliance'], summary: 'Evaluate every rule on the latest version of each tracked file', body: complianceRunBody, response: { 200: complianceRunSchema, ...guardedErrors } },
      handler: async (request) => {
        if (request.body.device) noteAuditTarget(request, ['device', request.body.device]);
        return compliance.run(request.body.device ? { device: request.body.device } : {});
      },
    });

    app.get('/api/compliance/rules', {
      config: { scope: 'config:view' },
      schema: { tags: ['compliance'], summary: 'Built-in packs and custom rules', response: { 200: complianceRulesSchema, ...guardedErrors } },
      handler: async () => ({
        rules: (await compliance.rules()).map((r) => ({
          id: r.id,
          title: r.title,
          severity: r.severity,
          configType: r.configType,
          source: r.source,
          remediation: r.remediation,
          custom: r.custom === true,
          ...(r.measuredBy ? { measuredBy: r.measuredBy } : {}),
        })),
      }),
    });

    app.get('/api/compliance/waivers', {
      config: { scope: 'config:view' },
      schema: { tags: ['compliance'], summary: 'Waivers, newest first', querystring: complianceQuery, response: { 200: waiversSchema, ...guardedErrors } },
      handler: async (request) => ({ waivers: await compliance.waivers(request.query.device) }),
    });

    app.post('/api/compliance/fixes', {
      config: { scope: 'config:edit', action: 'compliance.fix' },
      schema: {
        tags: ['compliance'],
        summary: "A rule's mechanical fix of one file as a diff; with `propose`, also a change request by the caller",
        body: fixBody,
        response: { 200: fixSchema, 409: errorSchema, 422: errorSchema, 502: errorSchema, ...guardedErrors },
      },
      handler: async (request) => {
        const { rule, device, path, propose } = request.body;
        noteAuditTarget(request, ['rule', rule], ['device', device], ['path', path]);
        const shown = <T extends { diff: string }>(fix: T): T => (seesSecrets(request) ? fix : { ...fix, diff: redactUnifiedDiff(fix.diff) });
        if (!propose) return shown(await compliance.fix(rule, device, path));
        const { changeRequest, ...fix } = await compliance.proposeFix(request.principal?.user ?? 'anonymous', rule, device, path);
        return { ...shown(fix), changeRequest: changeRequestFor(request, changeRequest) };
      },
    });

    app.post('/api/compliance/waivers', {
      config: { scope: 'config:approve', action: 'compliance.waive' },
      schema: { tags: ['compliance'], summary: 'Waive a rule on a device (or one file) until an expiry', body: waiveBody, response: { 200: waiverSchema, ...guardedErrors } },
      handler: async (request) => {
        const { rule, device, path, reason, expires } = request.body;
        noteAuditTarget(request, ['rule', rule], ['device', device], ...(path ? ([['path', path]] as [string, string][]) : []));
        return compliance.waive({ rule, device, reason, by: request.principal?.user ?? 'anonymous', ...(path ? { path } : {}), ...(expires ? { expires } : {}) });
      },
    });
  };
