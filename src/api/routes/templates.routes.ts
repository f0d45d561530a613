/**
 * /api/templates: reading and rendering need config:view (a render never
 * touches a host); adding, removing and applying need config:edit. Renders
 * run in the analysis pool under a hard timeout, so a hostile template
 * costs a worker, never the server.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { TemplateService } from '../../services/template.service.js';
import { noteAuditTarget } from '../plugins/guard.js';
import { errorSchema, guardedErrors, nameSchema } from './common.schema.js';
import { addTemplateBody, applyBody, applyResultSchema, renderBody, renderResultSchema, templateDetailSchema, templateSchema } from './templates.schema.js';

const nameParams = z.object({ name: nameSchema });
const failed = { 409: errorSchema, 422: errorSchema, 500: errorSchema, 501: errorSchema, 502: errorSchema, 504: errorSchema };

export const templateRoutes =
  (templates: TemplateService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/templates', {
      config: { scope: 'config:view' },
      schema: { tags: ['templates'], summary: 'Built-in and stored templates (latest version of each)', response: { 200: z.object({ templates: z.array(templateSchema) }), ...guardedErrors } },
      handler: async () => ({ templates: await templates.list() }),
    });

    app.get('/api/templates/:name', {
      config: { scope: 'config:view' },
      schema: { tags: ['templates'], summary: 'A template: its latest body and schema, and every version', params: nameParams, response: { 200: templateDetailSchema, ...guardedErrors } },
      handler: async (request) => templates.show(request.params.name),
    });

    app.post('/api/templates', {
      config: { scope: 'config:edit', action: 'template.add' },
      schema: {
        tags: ['templates'],
        summary: 'Add a template; an existing name gets its next version',
        body: addTemplateBody,
        response: { 201: templateDetailSchema, ...guardedErrors, ...failed },
      },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['template', request.body.name]);
        const { name, ...template } = request.body;
        return reply.code(201).send(await templates.add(name, template, request.principal?.user ?? null));
      },
    });

    app.delete('/api/templates/:name', {
      config: { scope: 'config:edit', action: 'template.remove' },
      schema: { tags: ['templates'], summary: 'Remove a template (every version)', params: nameParams, response: { 204: z.null(), ...guardedErrors, ...failed } },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['template', request.params.name]);
        await templates.remove(request.params.name);
        return reply.code(204).send(null);
      },
    });

    app.post('/api/templates/:name/render', {
      config: { scope: 'config:view' },
      schema: {
        tags: ['templates'],
        summary: 'Render with variables and parse the output (never touches a host)',
        params: nameParams,
        body: renderBody,
        response: { 200: renderResultSchema, ...guardedErrors, ...failed },
      },
      handler: async (request) => templates.render(request.params.name, request.body),
    });

    app.post('/api/templates/:name/apply', {
      config: { scope: 'config:edit', action: 'template.apply' },
      schema: {
        tags: ['templates'],
        summary: 'Render, validate on the device, and propose a change request',
        params: nameParams,
        body: applyBody,
        response: { 201: applyResultSchema, ...guardedErrors, ...failed },
      },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['template', request.params.name], ['device', request.body.device], ['path', request.body.path]);
        const result = await templates.apply(request.params.name, request.body, request.principal?.user ?? 'anonymous');
        return reply.code(201).send(result);
      },
    });
  };
