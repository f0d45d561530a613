/**
 * Change requests over HTTP (SPEC §11.2), through ChangeRequestService:
 * propose and edit (config:edit), list and show (config:view), approve and
 * reject (config:approve), apply, rebase and cancel (config:edit; apply
 * needs an approved request, or an admin's break-glass with a reason).
 * The actor is the caller's user; the guard audits every call. Diffs and
 * tool output are redacted for callers without `secrets:view`.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { batchAuditPairs } from '../../auth/audit-target.js';
import { redactUnifiedDiff } from '../../auth/redact.js';
import type { ChangeRequestInput, ChangeRequestService, ChangeRequestView } from '../../services/change-request.service.js';
import { noteAuditTarget } from '../plugins/guard.js';
import {
  applyBody,
  approveBody,
  changePolicySchema,
  changeRequestListSchema,
  changeRequestParams,
  changeRequestQuery,
  changeRequestSchema,
  policyBody,
  type ProposeBody,
  proposeBody,
  rejectBody,
} from './change-requests.schema.js';
import { errorSchema, guardedErrors } from './common.schema.js';
import { seesSecrets } from './snapshots.routes.js';
import { validationFor } from './validation.routes.js';
import { changesFileOf } from './writeback.routes.js';

const changeErrors = { 409: errorSchema, 422: errorSchema, 500: errorSchema, 502: errorSchema } as const;

const actorOf = (request: FastifyRequest): string => request.principal?.user ?? 'anonymous';

/** A request as this caller may see it. */
export function changeRequestFor(request: FastifyRequest, view: ChangeRequestView): ChangeRequestView {
  if (seesSecrets(request)) return view;
  return { ...view, files: view.files.map((f) => ({ ...f, diff: redactUnifiedDiff(f.diff), validation: validationFor(request, f.validation) })) };
}

function inputOf(body: ProposeBody): ChangeRequestInput {
  const file = changesFileOf({ ...body, dryRun: false });
  return {
    ...(body.title !== undefined ? { title: body.title } : {}),
    changes: file.changes,
    validate: body.validate,
    reload: body.reload,
    applyOnApproval: body.applyOnApproval,
  };
}

export const changeRequestRoutes =
  (changes: ChangeRequestService): FastifyPluginAsyncZod =>
  async (app) => {
    app.post('/api/change-requests', {
      config: { scope: 'config:edit', action: 'change.propose' },
      schema: {
        tags: ['change-requests'],
        summary: 'Propose changes (the entries of a batch) for approval; nothing is written',
        body: proposeBody,
        response: { 201: changeRequestSchema, ...guardedErrors, ...changeErrors },
      },
      handler: async (request, reply) => {
        noteAuditTarget(request, ...batchAuditPairs(request.body.changes));
        const view = await changes.propose(actorOf(request), inputOf(request.body));
        noteAuditTarget(request, ['id', view.id]);
        return reply.code(201).send(changeRequestFor(request, view));
      },
    });

    app.get('/api/change-requests', {
      config: { scope: 'config:view' },
      schema: { tags: ['change-requests'], summary: 'Change requests, newest first', querystring: changeRequestQuery, response: { 200: changeRequestListSchema, ...guardedErrors } },
      handler: async (request) => ({
        changeRequests: (await changes.list(request.query.status ? { status: request.query.status } : {})).map((v) => changeRequestFor(request, v)),
      }),
    });

    app.get('/api/change-requests/:id', {
      config: { scope: 'config:view' },
      schema: { tags: ['change-requests'], summary: 'One change request with its per-file diffs and impact', params: changeRequestParams, response: { 200: changeRequestSchema, ...guardedErrors } },
      handler: async (request) => changeRequestFor(request, await changes.get(request.params.id)),
    });

    app.put('/api/change-requests/:id', {
      config: { scope: 'config:edit', action: 'change.edit' },
      schema: {
        tags: ['change-requests'],
        summary: "Replace a request's changes (author or admin): a new revision, approvals start again",
        params: changeRequestParams,
        body: proposeBody,
        response: { 200: changeRequestSchema, ...guardedErrors, ...changeErrors },
      },
      handler: async (request) => changeRequestFor(request, await changes.edit(actorOf(request), request.params.id, inputOf(request.body))),
    });

    app.post('/api/change-requests/:id/approve', {
      config: { scope: 'config:approve', action: 'change.approve' },
      schema: {
        tags: ['change-requests'],
        summary: 'Approve (never your own request)',
        params: changeRequestParams,
        body: approveBody,
        response: { 200: changeRequestSchema, ...guardedErrors, ...changeErrors },
      },
      handler: async (request) => changeRequestFor(request, await changes.approve(actorOf(request), request.params.id, request.body?.comment)),
    });

    app.post('/api/change-requests/:id/reject', {
      config: { scope: 'config:approve', action: 'change.reject' },
      schema: {
        tags: ['change-requests'],
        summary: 'Reject with a comment; any rejection rejects the request',
        params: changeRequestParams,
        body: rejectBody,
        response: { 200: changeRequestSchema, ...guardedErrors, ...changeErrors },
      },
      handler: async (request) => changeRequestFor(request, await changes.reject(actorOf(request), request.params.id, request.body.comment)),
    });

    app.post('/api/change-requests/:id/apply', {
      config: { scope: 'config:edit', action: 'change.apply' },
      schema: {
        tags: ['change-requests'],
        summary: 'Apply an approved request through the batch engine; a target changed since its base makes it "conflict" and nothing is written',
        params: changeRequestParams,
        body: applyBody,
        response: { 200: changeRequestSchema, ...guardedErrors, ...changeErrors },
      },
      handler: async (request) => {
        const breakGlass = request.body?.breakGlass === true;
        if (breakGlass) noteAuditTarget(request, ['break-glass', 'yes']);
        const view = await changes.apply(actorOf(request), request.params.id, breakGlass ? { breakGlass: { reason: request.body?.reason ?? '' } } : {});
        return changeRequestFor(request, view);
      },
    });

    app.post('/api/change-requests/:id/rebase', {
      config: { scope: 'config:edit', action: 'change.rebase' },
      schema: {
        tags: ['change-requests'],
        summary: 'Read every base again and reassess (after a conflict); approvals start again',
        params: changeRequestParams,
        response: { 200: changeRequestSchema, ...guardedErrors, ...changeErrors },
      },
      handler: async (request) => changeRequestFor(request, await changes.rebase(actorOf(request), request.params.id)),
    });

    app.post('/api/change-requests/:id/cancel', {
      config: { scope: 'config:edit', action: 'change.cancel' },
      schema: { tags: ['change-requests'], summary: 'Cancel an open request (author or admin)', params: changeRequestParams, response: { 200: changeRequestSchema, ...guardedErrors, ...changeErrors } },
      handler: async (request) => changeRequestFor(request, await changes.cancel(actorOf(request), request.params.id)),
    });

    app.get('/api/change-policy', {
      config: { scope: 'config:view' },
      schema: { tags: ['change-requests'], summary: 'Approvals needed per risk level, expiry, drift approval', response: { 200: changePolicySchema, ...guardedErrors } },
      handler: async () => changes.policy(),
    });

    app.put('/api/change-policy', {
      config: { scope: 'users:manage', action: 'change.policy' },
      schema: { tags: ['change-requests'], summary: 'Change the approval policy (admins)', body: policyBody, response: { 200: changePolicySchema, ...guardedErrors } },
      handler: async (request) => {
        const { approvals, expiryDays, driftApproval } = request.body;
        return changes.setPolicy({
          ...(approvals ? { approvals } : {}),
          ...(expiryDays !== undefined ? { expiryDays } : {}),
          ...(driftApproval ? { driftApproval: { enabled: driftApproval.enabled, ...(driftApproval.device ? { device: driftApproval.device } : {}) } } : {}),
        });
      },
    });
  };
