/** Users and API tokens (scope users:manage). Passwords and token hashes never leave the server. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AuthService } from '../../services/auth.service.js';
import { noteAuditTarget } from '../plugins/guard.js';
import { errorSchema, guardedErrors, nameSchema } from './common.schema.js';
import { addUserBody, createTokenBody, createdTokenSchema, tokenParams, tokenSchema, updateUserBody, userSchema } from './users.schema.js';

const userParams = z.object({ name: nameSchema });

export const userRoutes =
  (auth: AuthService): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/users', {
      config: { scope: 'users:manage' },
      schema: { tags: ['admin'], summary: 'List users', response: { 200: z.object({ users: z.array(userSchema) }), ...guardedErrors } },
      handler: async () => ({ users: await auth.listUsers() }),
    });

    app.post('/api/users', {
      config: { scope: 'users:manage', action: 'user.add' },
      schema: { tags: ['admin'], summary: 'Add a user', body: addUserBody, response: { 201: userSchema, ...guardedErrors, 409: errorSchema } },
      handler: async (request, reply) => {
        noteAuditTarget(request, ['name', request.body.name]);
        return reply.code(201).send(await auth.addUser(request.body.name, request.body.role, request.body.password));
      },
    });

    app.patch('/api/users/:name', {
      config: { scope: 'users:manage', action: 'user.update' },
      schema: { tags: ['admin'], summary: 'Change role, password or disabled flag', params: userParams, body: updateUserBody, response: { 200: userSchema, ...guardedErrors } },
      handler: async (request) => auth.updateUser(request.params.name, request.body),
    });

    app.delete('/api/users/:name', {
      config: { scope: 'users:manage', action: 'user.remove' },
      schema: { tags: ['admin'], summary: 'Remove a user with their tokens and sessions', params: userParams, response: { 204: z.null(), ...guardedErrors } },
      handler: async (request, reply) => {
        await auth.removeUser(request.params.name);
        return reply.code(204).send(null);
      },
    });

    app.get('/api/tokens', {
      config: { scope: 'users:manage' },
      schema: {
        tags: ['admin'],
        summary: 'List API tokens (prefix, label, last use; never the token)',
        querystring: z.object({ user: nameSchema.optional() }),
        response: { 200: z.object({ tokens: z.array(tokenSchema) }), ...guardedErrors },
      },
      handler: async (request) => ({ tokens: await auth.listTokens(request.query.user) }),
    });

    app.post('/api/tokens', {
      config: { scope: 'users:manage', action: 'token.create' },
      schema: { tags: ['admin'], summary: 'Create an API token; the token is shown in this response only', body: createTokenBody, response: { 201: createdTokenSchema, ...guardedErrors } },
      handler: async (request, reply) => {
        const { user, label, expiresAt } = request.body;
        noteAuditTarget(request, ['user', user]);
        const created = await auth.createToken(user, { ...(label ? { label } : {}), ...(expiresAt ? { expiresAt } : {}) });
        noteAuditTarget(request, ['id', created.record.id]);
        return reply.code(201).send(created);
      },
    });

    app.delete('/api/tokens/:id', {
      config: { scope: 'users:manage', action: 'token.revoke' },
      schema: { tags: ['admin'], summary: 'Revoke an API token', params: tokenParams, response: { 204: z.null(), ...guardedErrors } },
      handler: async (request, reply) => {
        await auth.revokeToken(request.params.id);
        return reply.code(204).send(null);
      },
    });
  };
