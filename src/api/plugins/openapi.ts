/**
 * The OpenAPI 3 document, generated from the zod schemas of every route,
 * at `/api/openapi.json`, and `/api/docs`: a self-contained HTML page
 * listing the routes with their scopes (no external assets).
 */
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, type FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** Registers the generator; call before any route so all of them are documented. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'confwatch API', version: '1', description: 'Every route needs the scope named in its x-scope field.' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: 'cw_session' } } },
      security: [{ token: [] }, { session: [] }],
    },
    transform: (input) => {
      const { schema, url } = jsonSchemaTransform(input);
      const scope = input.route.config?.scope;
      return { schema: { ...schema, ...(scope ? { 'x-scope': scope } : {}) } as typeof schema, url };
    },
  });
}

interface OperationSummary {
  readonly method: string;
  readonly path: string;
  readonly summary: string;
  readonly scope: string;
}

export const openApiRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/api/openapi.json', {
    config: { scope: 'public' },
    schema: { hide: true, response: { 200: z.record(z.string(), z.unknown()) } },
    handler: async () => app.swagger() as unknown as Record<string, unknown>,
  });

  app.get('/api/docs', {
    config: { scope: 'public' },
    schema: { hide: true },
    handler: async (_request, reply) => reply.type('text/html; charset=utf-8').send(docsPage(operations(app.swagger() as unknown as OpenApiDoc))),
  });
};

interface OpenApiDoc {
  paths?: Record<string, Record<string, { summary?: string; 'x-scope'?: string }>>;
}

function operations(doc: OpenApiDoc): OperationSummary[] {
  const list: OperationSummary[] = [];
  for (const [path, methods] of Object.entries(doc.paths ?? {})) {
    for (const [method, operation] of Object.entries(methods)) {
      list.push({ method: method.toUpperCase(), path, summary: operation.summary ?? '', scope: operation['x-scope'] ?? '' });
    }
  }
  return list;
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function docsPage(ops: readonly OperationSummary[]): string {
  const rows = ops
    .map((op) => `<tr><td><code>${escapeHtml(op.method)}</code></td><td><code>${escapeHtml(op.path)}</code></td><td>${escapeHtml(op.scope)}</td><td>${escapeHtml(op.summary)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>confwatch API</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:.95em}</style>
</head><body>
<h1>confwatch API</h1>
<p>Authenticate with <code>Authorization: Bearer &lt;token&gt;</code> (<code>confwatch token create</code>) or the session cookie from <code>POST /api/auth/login</code> (mutations then need the <code>x-csrf-token</code> header). Errors are <code>{"error":{"code","message"}}</code>. The machine-readable document is at <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Scope</th><th>Summary</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>
`;
}
