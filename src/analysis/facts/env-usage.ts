/**
 * Which compose services use the variables of a `.env` file: Compose
 * interpolates a project's `.env` into its compose file (`${VAR}`), and a
 * service's `env_file` passes a file's variables into its container. Read
 * from the compose file beside the `.env` (as written, before interpolation).
 */
import { parse as parseYaml } from 'yaml';
import { asArray, asRecord, asText, isRecord } from '../loose-data.js';

/** The compose file names Compose looks for in a project directory, in its order. */
const COMPOSE_FILES = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'];
const REFERENCE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

export interface EnvUsage {
  /** The compose file that uses the `.env` file. */
  readonly composeFile: string;
  /** Service → the variables it uses; `*` when it takes every variable (`env_file`). */
  readonly services: Readonly<Record<string, readonly string[]>>;
}

/** Variable → the services using it; empty when the file is known to no compose project. */
export function servicesUsing(usage: EnvUsage | undefined, variable: string): string[] {
  if (!usage) return [];
  return Object.entries(usage.services)
    .filter(([, vars]) => vars.includes('*') || vars.includes(variable))
    .map(([service]) => service);
}

/** The usage of `envPath` by the compose project in its directory; undefined when none is readable. */
export function envUsage(envPath: string, readFile: (path: string) => Buffer | undefined): EnvUsage | undefined {
  const dir = envPath.slice(0, envPath.lastIndexOf('/'));
  const name = envPath.slice(envPath.lastIndexOf('/') + 1);
  for (const file of COMPOSE_FILES) {
    const bytes = readFile(`${dir}/${file}`);
    if (bytes === undefined) continue;
    let doc: unknown;
    try {
      doc = parseYaml(bytes.toString('utf8'), { maxAliasCount: 100 });
    } catch {
      return undefined;
    }
    const services: Record<string, string[]> = {};
    for (const [service, raw] of Object.entries(asRecord(asRecord(doc).services))) {
      const envFiles = isRecord(raw) ? raw.env_file : undefined;
      const listed = (typeof envFiles === 'string' ? [envFiles] : asArray(envFiles)).flatMap((e) => asText(e) ?? asText(asRecord(e).path) ?? []);
      const takesAll = listed.some((p) => p.replace(/^\.\//, '') === name || p === envPath);
      // Interpolation reads only the project's `.env`; other files count through env_file alone.
      const referenced = name === '.env' ? [...new Set([...JSON.stringify(raw).matchAll(REFERENCE)].map((m) => m[1]!))] : [];
      const vars = takesAll ? ['*'] : referenced;
      if (vars.length > 0) services[service] = vars;
    }
    return { composeFile: `${dir}/${file}`, services };
  }
  return undefined;
}
