/**
 * Random credentials and their stored form. An API token is
 * `cw_<prefix>_<secret>`: the prefix (8 hex) is stored in clear to identify
 * the token in listings, the whole token only as a sha256 hash. Session ids
 * and CSRF tokens are 32 random bytes, base64url.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../hash.js';

const TOKEN_PATTERN = /^cw_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$/;

export interface NewApiToken {
  /** The full token, shown once. */
  readonly token: string;
  /** The visible part, also the token's id. */
  readonly prefix: string;
  /** sha256 hex of the full token, what the database keeps. */
  readonly hash: string;
}

export function generateApiToken(): NewApiToken {
  const prefix = randomBytes(4).toString('hex');
  const token = `cw_${prefix}_${randomBytes(32).toString('base64url')}`;
  return { token, prefix, hash: sha256Hex(token) };
}

/** The prefix of a well-formed token, or undefined for anything else. */
export const apiTokenPrefix = (token: string): string | undefined => TOKEN_PATTERN.exec(token)?.[1];

/** 256 random bits, URL-safe: session ids and CSRF tokens. */
export const randomSecret = (): string => randomBytes(32).toString('base64url');

/** Constant-time comparison of two secrets of any length. */
export function secretsEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
