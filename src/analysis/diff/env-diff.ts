/** Typed changes between two versions of a `.env` file: each variable added, removed or modified, by name only. */
import { envValues } from '../../parsers/env/env.parser.js';
import { type Change, change } from '../change.js';
import { type EnvUsage, servicesUsing } from '../facts/env-usage.js';
import { asRecord } from '../loose-data.js';
import { changedKeys } from '../set-diff.js';

/**
 * Values are compared from the texts (the parsed data holds none); without
 * them only added and removed names are seen. A variable a compose service
 * uses is one change per service, so the services are named and restarted.
 */
export function envDiff(oldData: unknown, newData: unknown, oldText?: string, newText?: string, usage?: EnvUsage): Change[] {
  const names = (data: unknown): Record<string, string> =>
    Object.fromEntries(Object.keys(asRecord(asRecord(data).variables)).map((k) => [k, '']));
  const a = oldText === undefined ? names(oldData) : envValues(oldText);
  const b = newText === undefined ? names(newData) : envValues(newText);
  const out: Change[] = [];
  for (const { key, change: how } of changedKeys(a, b)) {
    const services = servicesUsing(usage, key);
    const detail = { key, change: how, used: usage ? services.length > 0 : null, ...(usage ? { composeFile: usage.composeFile } : {}) };
    if (services.length === 0) out.push(change('env.changed', detail));
    for (const service of services) out.push(change('env.changed', detail, service));
  }
  return out;
}
