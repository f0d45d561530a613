/**
 * Device names are slugs: lowercase ASCII letters, digits, `.`, `_` and `-`,
 * starting with a letter or digit, at most 63 characters. They appear in
 * URLs, remote command markers and file names, so nothing else is allowed.
 */
import { ConfwatchError } from '../errors.js';

const SLUG = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const isValidName = (name: string): boolean => SLUG.test(name);

/** Returns the name or throws CW_ERR_INVALID_NAME with what to do. */
export function assertValidName(name: string, what = 'device name'): string {
  if (!isValidName(name)) {
    throw new ConfwatchError(
      'CW_ERR_INVALID_NAME',
      `invalid ${what} "${name}": use 1–63 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit`,
    );
  }
  return name;
}

/** Best-effort slug for an imported alias (`Web.Example.com` → `web.example.com`). */
export function slugify(text: string): string {
  const slug = text
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  return slug;
}
