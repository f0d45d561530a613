/**
 * One snapshot: metadata, exact bytes, parsed data and stored impact.
 * Without `secrets:view`, secret-looking values are redacted (and the raw
 * route says so in `x-confwatch-redacted`).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { redactBytes, redactText, redactValue } from '../../auth/redact.js';
import { ConfwatchError } from '../../errors.js';
import { riskOf } from '../../services/history.service.js';
import type { SnapshotRecord } from '../../store/records.js';
import type { SnapshotStore } from '../../store/snapshot-store.js';
import { guardedErrors } from './common.schema.js';
import { impactSchema, parsedSchema, snapshotParams, snapshotSchema } from './snapshots.schema.js';

/** True when the caller may see secrets unredacted. */
export const seesSecrets = (request: FastifyRequest): boolean => request.principal?.scopes.has('secrets:view') === true;

export const snapshotRoutes =
  (store: Pick<SnapshotStore, 'getSnapshot' | 'readContent'>): FastifyPluginAsyncZod =>
  async (app) => {
    const load = async (id: string): Promise<SnapshotRecord> => {
      const snapshot = await store.getSnapshot(id);
      if (!snapshot) throw new ConfwatchError('CW_ERR_NOT_FOUND', `unknown snapshot "${id}"`);
      return snapshot;
    };

    app.get('/api/snapshots/:id', {
      config: { scope: 'config:view' },
      schema: { tags: ['snapshots'], summary: 'Snapshot metadata', params: snapshotParams, response: { 200: snapshotSchema, ...guardedErrors } },
      handler: async (request) => {
        const snapshot = await load(request.params.id);
        const validation = snapshot.validation && !seesSecrets(request) ? { ...snapshot.validation, output: redactText(snapshot.validation.output) } : snapshot.validation;
        return { ...snapshot, validation, risk: riskOf(snapshot.impact) };
      },
    });

    app.get('/api/snapshots/:id/raw', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['snapshots'],
        summary: 'The exact bytes (application/octet-stream)',
        params: snapshotParams,
        response: { 200: z.any().describe('the file content, byte for byte'), ...guardedErrors },
      },
      handler: async (request, reply) => {
        const snapshot = await load(request.params.id);
        const bytes = await store.readContent(snapshot);
        reply.type('application/octet-stream').header('content-disposition', 'attachment');
        if (seesSecrets(request)) return reply.send(bytes);
        const shown = redactBytes(bytes);
        if (shown.kind === 'refused') throw new ConfwatchError('CW_ERR_AUTH_FORBIDDEN', shown.reason);
        if (shown.redacted) reply.header('x-confwatch-redacted', 'true');
        return reply.send(shown.bytes);
      },
    });

    app.get('/api/snapshots/:id/parsed', {
      config: { scope: 'config:view' },
      schema: { tags: ['snapshots'], summary: 'Parsed data and parse errors', params: snapshotParams, response: { 200: parsedSchema, ...guardedErrors } },
      handler: async (request) => {
        const snapshot = await load(request.params.id);
        const redact = !seesSecrets(request);
        return {
          id: snapshot.id,
          configType: snapshot.configType,
          parsed: redact ? redactValue(snapshot.parsed) : snapshot.parsed,
          // Parser messages may quote the offending line, secret or not.
          parseErrors: snapshot.parseErrors ? snapshot.parseErrors.map((e) => (redact ? { ...e, message: redactText(e.message) } : e)) : null,
          redacted: redact,
        };
      },
    });

    app.get('/api/snapshots/:id/impact', {
      config: { scope: 'config:view' },
      schema: { tags: ['snapshots'], summary: 'Stored impact assessment (null before analysis)', params: snapshotParams, response: { 200: impactSchema, ...guardedErrors } },
      handler: async (request) => {
        const snapshot = await load(request.params.id);
        return { id: snapshot.id, risk: riskOf(snapshot.impact), impact: seesSecrets(request) ? snapshot.impact : redactValue(snapshot.impact) };
      },
    });
  };
