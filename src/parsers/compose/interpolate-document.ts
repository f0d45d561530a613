import { interpolate } from './interpolate.js';
import { pointerSegment } from './compose-yaml.js';

/** A problem found while interpolating, located by JSON pointer. */
export interface InterpolationIssue {
  readonly pointer: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/**
 * Interpolates every string value (not keys) of a compose document. Returns a
 * new tree; unset variables become "" with a warning, as `docker compose` does.
 */
export function interpolateDocument(
  value: unknown,
  vars: Readonly<Record<string, string>>,
  issues: InterpolationIssue[],
  pointer = '',
): unknown {
  if (typeof value === 'string') {
    const result = interpolate(value, vars);
    if (result.error) issues.push({ pointer, message: result.error, severity: 'error' });
    for (const name of new Set(result.unset)) {
      issues.push({ pointer, message: `Variable ${name} is not set; using an empty string`, severity: 'warning' });
    }
    return result.value;
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateDocument(item, vars, issues, `${pointer}/${index}`));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, item] of Object.entries(value)) {
      out[key] = interpolateDocument(item, vars, issues, `${pointer}/${pointerSegment(key)}`);
    }
    return out;
  }
  return value;
}
