import { interpolate } from './interpolate.js';
import { pointerSegment } from './compose-yaml.js';

/** A problem found while interpolating, located by JSON pointer. */
export interface InterpolationIssue {
  readonly pointer: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

/** Where a value sits: built into a JSON pointer only when an issue is reported there. */
interface Path {
  readonly parent: Path | undefined;
  readonly segment: string | number;
}

const pointerOf = (path: Path | undefined, base: string): string => {
  const segments: string[] = [];
  for (let at = path; at; at = at.parent) segments.push(pointerSegment(at.segment));
  return segments.length === 0 ? base : `${base}/${segments.reverse().join('/')}`;
};

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
  return interpolateValue(value, vars, issues, pointer, undefined);
}

function interpolateValue(value: unknown, vars: Readonly<Record<string, string>>, issues: InterpolationIssue[], base: string, path: Path | undefined): unknown {
  if (typeof value === 'string') return interpolateString(value, vars, issues, base, path);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let index = 0; index < value.length; index++) out.push(interpolateChild(value[index], vars, issues, base, path, index));
    return out;
  }
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value)) {
      out[key] = interpolateChild((value as Record<string, unknown>)[key], vars, issues, base, path, key);
    }
    return out;
  }
  return value;
}

/** A child value: its path is only allocated when the child is a collection or holds a variable. */
function interpolateChild(
  value: unknown,
  vars: Readonly<Record<string, string>>,
  issues: InterpolationIssue[],
  base: string,
  parent: Path | undefined,
  segment: string | number,
): unknown {
  if (typeof value === 'string' && !value.includes('$')) return value;
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' ? interpolateString(value, vars, issues, base, { parent, segment }) : value;
  }
  return interpolateValue(value, vars, issues, base, { parent, segment });
}

function interpolateString(value: string, vars: Readonly<Record<string, string>>, issues: InterpolationIssue[], base: string, path: Path | undefined): string {
  // Most values hold no variable; they are returned as they are, without building anything.
  if (!value.includes('$')) return value;
  const result = interpolate(value, vars);
  if (result.error) issues.push({ pointer: pointerOf(path, base), message: result.error, severity: 'error' });
  for (const name of new Set(result.unset)) {
    issues.push({ pointer: pointerOf(path, base), message: `Variable ${name} is not set; using an empty string`, severity: 'warning' });
  }
  return result.value;
}
