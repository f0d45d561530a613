/**
 * One JSON error shape for the whole API: `{error: {code, message}}` with
 * the status registered for the code in src/errors.ts. Request validation
 * errors name the offending field; anything unexpected is logged and
 * answered as CW_ERR_INTERNAL without internals.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ConfwatchError, type ErrorCode, isConfwatchError } from '../../errors.js';

/** The body every error response carries. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export const errorBody = (code: ErrorCode | string, message: string): ErrorBody => ({ error: { code, message } });

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | ConfwatchError | Error, request, reply) => {
    if (isConfwatchError(error)) return reply.code(error.statusCode).send(errorBody(error.code, error.message));
    if (hasZodFastifySchemaValidationErrors(error)) {
      const where = (error as FastifyError).validationContext ?? 'request';
      const issues = error.validation.map((issue) => `${where}${issue.instancePath.replaceAll('/', '.') || ''}: ${issue.message}`);
      return reply.code(400).send(errorBody('CW_ERR_USAGE', `invalid ${issues.join('; ')}`));
    }
    const status = (error as FastifyError).statusCode;
    if (status === 413) return reply.code(413).send(errorBody('CW_ERR_BODY_TOO_LARGE', 'the request body is larger than the server accepts'));
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send(errorBody('CW_ERR_USAGE', error.message));
    request.log.error({ err: error }, 'unhandled error');
    return reply.code(500).send(errorBody('CW_ERR_INTERNAL', 'internal error; see the server log'));
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorBody('CW_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}

/** Shorthand for the errors routes raise themselves. */
export const notFound = (message: string): ConfwatchError => new ConfwatchError('CW_ERR_NOT_FOUND', message);
