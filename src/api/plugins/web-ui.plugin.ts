/**
 * Serves the built web UI (`dist/web`, from `vite build`) next to the API:
 * files under the root as they are (hashed `/assets/*` cached for a year),
 * and `index.html` for every other GET outside `/api`, so deep links into
 * the single-page app load. `/api/*` paths nobody registered stay JSON 404s.
 * Every response carries a strict Content-Security-Policy: the UI loads
 * nothing from anywhere but this server.
 */
import { stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ConfwatchError } from '../../errors.js';

export interface WebUiOptions {
  /** Directory of the built UI. Default `<package root>/dist/web` (the same from src/ and dist/). */
  readonly root?: string;
}

export const CONTENT_SECURITY_POLICY = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

const DEFAULT_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** Vite content-hashes everything under /assets/, so those never change in place. */
const IMMUTABLE_PREFIX = '/assets/';

export const webUiPlugin =
  (options: WebUiOptions = {}): FastifyPluginAsync =>
  async (app) => {
    const root = options.root ?? DEFAULT_ROOT;
    await app.register(fastifyStatic, { root, serve: false });

    // Runs after the application's own onSend hooks, so the caching decided here is the one sent.
    app.addHook('onSend', async (request, reply) => {
      const immutable = reply.statusCode === 200 && request.url.startsWith(IMMUTABLE_PREFIX);
      reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
      reply.header('x-content-type-options', 'nosniff');
      reply.header('referrer-policy', 'no-referrer');
    });

    const sendIndex = async (reply: FastifyReply) => {
      if (!(await isFile(join(root, 'index.html')))) {
        throw new ConfwatchError('CW_ERR_NOT_FOUND', 'the web UI is not built: run "npm run build"');
      }
      return reply.sendFile('index.html', { cacheControl: false });
    };

    app.get('/', { config: { scope: 'public' }, schema: { hide: true } }, async (_request, reply) => sendIndex(reply));

    app.get<{ Params: { '*': string } }>('/*', { config: { scope: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const wanted = request.params['*'];
      if (wanted === 'api' || wanted.startsWith('api/')) {
        throw new ConfwatchError('CW_ERR_NOT_FOUND', `no route GET ${request.url.split('?')[0]}`);
      }
      const file = insideRoot(wanted);
      if (file !== null && (await isFile(join(root, file)))) return reply.sendFile(file, { cacheControl: false });
      return sendIndex(reply);
    });
  };

/** The request path as a relative path that cannot leave the root (no `..`, no NUL, no dotfiles); null otherwise. */
function insideRoot(wanted: string): string | null {
  if (wanted === '' || wanted.includes('\0')) return null;
  const relative = normalize(wanted);
  const parts = relative.split(sep);
  return parts.some((p) => p === '..' || p.startsWith('.')) ? null : relative;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
