import { posix } from 'node:path';
import { decodeText } from '../generic/decode-text.js';
import { parseDotenv } from '../generic/dotenv.js';
import type { ParseContext, ParseIssue } from '../parser.js';
import { type ComposeYaml, loadComposeYaml, pointerSegment } from './compose-yaml.js';
import type { ComposeData, ComposeService } from './compose-types.js';
import { interpolateDocument, type InterpolationIssue } from './interpolate-document.js';
import { mergeService } from './merge-service.js';
import { normaliseService, text } from './normalise-service.js';
import { validateComposeSchema } from './schema-validate.js';

type Raw = Record<string, unknown>;

const isRecord = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `include` and `extends.file` chains longer than this are refused. */
const MAX_FILE_DEPTH = 8;

/** One compose file after YAML loading, interpolation and `!reset` removal. */
interface ComposeFile {
  readonly path: string | undefined;
  readonly yaml: ComposeYaml;
  readonly document: Raw;
}

/** Options for reading a compose project. */
export interface ComposeReadOptions {
  /** Validate the main file against compose-spec.json (default true). */
  readonly validate?: boolean;
}

function deleteAtPointer(document: unknown, pointer: string): void {
  const segments = pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = segments.pop();
  let node = document;
  for (const segment of segments) node = isRecord(node) || Array.isArray(node) ? (node as Raw)[segment] : undefined;
  if (last !== undefined && isRecord(node)) delete node[last];
}

/** Reads one compose project: the main file, its `.env`, includes and extended files. */
export class ComposeProject {
  readonly errors: ParseIssue[] = [];
  readonly warnings: ParseIssue[] = [];
  readonly #files = new Map<string, ComposeFile>();
  readonly #vars: Record<string, string>;
  readonly #context: ParseContext;

  constructor(context: ParseContext) {
    this.#context = context;
    this.#vars = { ...this.#dotenv(), ...context.env };
  }

  /** Parses the main file's text into the normalised project. */
  read(text: string, options: ComposeReadOptions = {}): ComposeData | null {
    const main = this.#load(text, this.#context.path, undefined);
    if (!main) return null;
    if (options.validate !== false) {
      for (const violation of validateComposeSchema(main.document)) {
        this.errors.push({ message: violation.message, line: main.yaml.lineOf(violation.pointer) });
      }
    }
    const services: Record<string, ComposeService> = Object.create(null);
    const active = new Set((this.#vars.COMPOSE_PROFILES ?? '').split(',').map((p) => p.trim()).filter(Boolean));
    const networks = new Set<string>();
    const volumes = new Set<string>();
    this.#collect(main, services, networks, volumes, active, 0);
    for (const service of Object.values(services)) if (service.networks.includes('default')) networks.add('default');
    return {
      kind: 'compose',
      name: typeof main.document.name === 'string' ? main.document.name : null,
      services,
      networks: [...networks],
      volumes: [...volumes],
      profiles: [...new Set(Object.values(services).flatMap((s) => s.profiles))],
      files: [...this.#files.keys()].filter((path) => path !== this.#context.path),
    };
  }

  #dotenv(): Record<string, string> {
    const path = this.#context.path;
    const bytes = path ? this.#context.readFile?.(posix.join(posix.dirname(path), '.env')) : undefined;
    if (!bytes) return {};
    const { values, errors } = parseDotenv(decodeText(bytes).text);
    const file = posix.join(posix.dirname(path!), '.env');
    this.warnings.push(...errors.map((e) => ({ ...e, file })));
    return values;
  }

  #load(text: string, path: string | undefined, from: string | undefined): ComposeFile | undefined {
    const file = from === undefined ? undefined : path;
    const yaml = loadComposeYaml(text, file);
    this.errors.push(...yaml.errors);
    this.warnings.push(...yaml.warnings);
    if (!isRecord(yaml.value)) {
      if (yaml.errors.length === 0) this.errors.push({ message: 'A compose file must be a mapping', line: 1, ...(file ? { file } : {}) });
      return undefined;
    }
    const issues: InterpolationIssue[] = [];
    const document = interpolateDocument(yaml.value, this.#vars, issues) as Raw;
    for (const issue of issues) {
      const located = { message: `${issue.pointer}: ${issue.message}`, line: yaml.lineOf(issue.pointer), ...(file ? { file } : {}) };
      (issue.severity === 'error' ? this.errors : this.warnings).push(located);
    }
    for (const [pointer, tag] of yaml.tags) if (tag === 'reset') deleteAtPointer(document, pointer);
    const loaded = { path, yaml, document };
    if (path) this.#files.set(path, loaded);
    return loaded;
  }

  #loadRelative(from: ComposeFile, relative: string, depth: number): ComposeFile | undefined {
    const at = (message: string): ParseIssue => ({ message, line: 1, ...(from.path && from !== this.#main() ? { file: from.path } : {}) });
    if (depth >= MAX_FILE_DEPTH) {
      this.errors.push(at(`${relative}: include/extends nested too deeply`));
      return undefined;
    }
    const path = posix.resolve(posix.dirname(from.path ?? '/'), relative);
    const cached = this.#files.get(path);
    if (cached) return cached;
    const bytes = this.#context.readFile?.(path);
    if (!bytes) {
      this.warnings.push(at(`${path} is not available; its services are missing`));
      return undefined;
    }
    return this.#load(decodeText(bytes).text, path, from.path ?? '');
  }

  #main(): ComposeFile | undefined {
    return this.#context.path ? this.#files.get(this.#context.path) : undefined;
  }

  #collect(file: ComposeFile, services: Record<string, ComposeService>, networks: Set<string>, volumes: Set<string>, active: ReadonlySet<string>, depth: number): void {
    for (const entry of Array.isArray(file.document.include) ? file.document.include : []) {
      const paths = isRecord(entry) ? entry.path : entry;
      for (const relative of Array.isArray(paths) ? paths : [paths]) {
        const included = this.#loadRelative(file, text(relative), depth + 1);
        if (included) this.#collect(included, services, networks, volumes, active, depth + 1);
      }
    }
    for (const name of Object.keys(isRecord(file.document.networks) ? file.document.networks : {})) networks.add(name);
    for (const name of Object.keys(isRecord(file.document.volumes) ? file.document.volumes : {})) volumes.add(name);
    const raw = isRecord(file.document.services) ? file.document.services : {};
    for (const name of Object.keys(raw)) {
      const resolved = this.#resolve(file, name, [], depth);
      if (!resolved) continue;
      const line = file.yaml.lineOf(`/services/${pointerSegment(name)}`);
      const service = normaliseService(name, resolved, line, active);
      const fromMain = file.path === this.#context.path;
      if (services[name]) this.errors.push({ message: `Service ${name} is defined twice (by include)`, line, ...(fromMain ? {} : { file: file.path }) });
      services[name] = fromMain || !file.path ? service : { ...service, file: file.path };
    }
  }

  /** The raw service with its `extends` chain merged in; undefined when missing. */
  #resolve(file: ComposeFile, name: string, chain: string[], depth: number): Raw | undefined {
    const services = isRecord(file.document.services) ? file.document.services : {};
    const raw = services[name];
    if (raw === null) return {};
    if (!isRecord(raw)) return undefined;
    const spec = raw.extends;
    if (spec === undefined) return raw;
    const pointer = `/services/${pointerSegment(name)}`;
    const line = file.yaml.lineOf(`${pointer}/extends`);
    const where = file.path && file.path !== this.#context.path ? { file: file.path } : {};
    const key = `${file.path ?? ''}#${name}`;
    if (chain.includes(key)) {
      this.errors.push({ message: `Service ${name} extends itself (${[...chain, key].join(' → ')})`, line, ...where });
      return raw;
    }
    const baseName = text(isRecord(spec) ? spec.service : spec);
    const baseFile = isRecord(spec) && typeof spec.file === 'string' ? this.#loadRelative(file, spec.file, depth + 1) : file;
    const base = baseFile ? this.#resolve(baseFile, baseName, [...chain, key], depth + 1) : undefined;
    if (!base) {
      if (baseFile) this.errors.push({ message: `Service ${name} extends ${baseName}, which does not exist`, line, ...where });
      return raw;
    }
    const tags = new Map<string, 'reset' | 'override'>();
    for (const [p, tag] of file.yaml.tags) {
      const key = p.startsWith(`${pointer}/`) ? p.slice(pointer.length + 1) : undefined;
      if (key && !key.includes('/')) tags.set(key.replace(/~1/g, '/').replace(/~0/g, '~'), tag);
    }
    return mergeService(base, raw, tags);
  }
}
