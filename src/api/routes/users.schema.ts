import { z } from 'zod';
import { ROLES } from '../../auth/scopes.js';
import { nameSchema } from './common.schema.js';

export const userSchema = z.object({ name: z.string(), role: z.enum(ROLES), disabled: z.boolean(), hasPassword: z.boolean(), createdAt: z.string() });

export const addUserBody = z.object({ name: nameSchema, role: z.enum(ROLES), password: z.string().min(8).max(1024).optional() }).strict();

export const updateUserBody = z
  .object({ role: z.enum(ROLES).optional(), password: z.string().min(8).max(1024).optional(), disabled: z.boolean().optional() })
  .strict();

export const tokenSchema = z.object({
  id: z.string(),
  user: z.string(),
  label: z.string().nullable(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
});

export const createTokenBody = z.object({ user: nameSchema, label: z.string().max(200).optional(), expiresAt: z.iso.datetime().optional() }).strict();

/** The clear token appears in this response only. */
export const createdTokenSchema = z.object({ token: z.string(), record: tokenSchema });

export const tokenParams = z.object({ id: z.string().regex(/^[0-9a-f]{8}$/, 'must be a token id (8 hex characters)') });
