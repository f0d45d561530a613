/**
 * `POST /api/validate`: candidate content (or the live file) checked on the
 * device with the real tool, as `confwatch validate` does. Tool output can
 * quote secret lines, so it is redacted for callers without `secrets:view`.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { redactText } from '../../auth/redact.js';
import type { ValidationResult } from '../../store/records.js';
import type { ValidationService } from '../../services/validation.service.js';
import { noteAuditTarget } from '../plugins/guard.js';
import { errorSchema, guardedErrors } from './common.schema.js';
import { seesSecrets } from './snapshots.routes.js';
import { fileValidationSchema, validateBody } from './validation.schema.js';

/** The validation as this caller may see it: tool output redacted without `secrets:view`. */
export function validationFor<T extends ValidationResult | null>(request: FastifyRequest, validation: T): T {
  if (validation === null || seesSecrets(request)) return validation;
  return { ...validation, output: redactText(validation.output) };
}

/** The candidate bytes of a body with `content` (text) or `contentBase64`; undefined for neither. */
export function candidateBytes(body: { content?: string | undefined; contentBase64?: string | undefined }): Buffer | undefined {
  if (body.content !== undefined) return Buffer.from(body.content, 'utf8');
  return body.contentBase64 === undefined ? undefined : Buffer.from(body.contentBase64, 'base64');
}

export const validationRoutes =
  (validation: Pick<ValidationService, 'validate'>): FastifyPluginAsyncZod =>
  async (app) => {
    app.post('/api/validate', {
      config: { scope: 'config:edit', action: 'config.validate' },
      schema: {
        tags: ['validation'],
        summary: 'Validate candidate content (or the live file) on the device with the real tool',
        body: validateBody,
        response: { 200: fileValidationSchema, ...guardedErrors, 502: errorSchema },
      },
      handler: async (request) => {
        const { device, path } = request.body;
        noteAuditTarget(request, ['device', device], ['path', path]);
        const result = await validation.validate(device, path, candidateBytes(request.body));
        return validationFor(request, result);
      },
    });
  };
