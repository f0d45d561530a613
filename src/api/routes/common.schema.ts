/**
 * Schemas shared by several routes: names, ids, remote paths (refusing `..`
 * segments and NUL bytes) and the error body.
 */
import { z } from 'zod';
import { isValidName } from '../../config/names.js';
import { remotePathToBytes } from '../../transport/remote-path.js';

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** Error responses every guarded route may give. */
export const guardedErrors = { 400: errorSchema, 401: errorSchema, 403: errorSchema, 404: errorSchema } as const;

export const nameSchema = z.string().max(63).refine(isValidName, 'must be a slug: lowercase letters, digits, ".", "_" or "-"');

export const deviceParams = z.object({ device: nameSchema });

/** Time-sortable snapshot/change-set id (26 Crockford base32 characters). */
export const idSchema = z.string().regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a 26-character id');

/** True for an absolute path (or its `b64:` form) with no `..` segment and no NUL byte. */
export function isSafeRemotePath(path: string): boolean {
  const bytes = remotePathToBytes(path);
  if (bytes.length === 0 || bytes[0] !== 0x2f || bytes.includes(0)) return false;
  return !bytes.toString('latin1').split('/').includes('..');
}

export const remotePathSchema = z
  .string()
  .min(1)
  .max(4096)
  .refine(isSafeRemotePath, 'must be an absolute path without ".." segments or NUL bytes');

/** Opaque pagination cursor as the store hands it out. */
export const cursorSchema = z.string().max(16384).regex(/^[A-Za-z0-9_-]+$/, 'is not a cursor this server issued');

export const limitSchema = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
