/**
 * Templates as the CLI and the API use them: versioned records (adding
 * under an existing name makes the next version), the built-ins, rendering
 * (never touching a host: sandboxed Liquid in a worker, the output parsed
 * with the config type's parser), and apply: render, parse, then propose a
 * change request carrying the rendered bytes, which validates them in
 * context on the target device and assesses their impact. Every render, parse and schema check runs in the
 * analysis pool under a hard timeout; nothing here reads template text on
 * the event loop.
 */
import type { Budgeted } from '../compute/analysis-pool.js';
import type { TemplateTask, TemplateTaskResult } from '../compute/analysis-tasks.js';
import { assertValidName } from '../config/names.js';
import { ConfwatchError, type ErrorCode } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { CONFIG_TYPES, type ConfigType } from '../parsers/parser.js';
import type { StoredTemplateVersion, TemplateRender, TemplateRepository } from '../store/templates.repository.js';
import { BUILTIN_TEMPLATES, type BuiltinTemplate, builtinTemplate } from '../templates/builtins.js';
import { MAX_OUTPUT_CHARS } from '../templates/liquid-sandbox.js';
import type { TemplateFailureKind } from '../templates/render-task.js';
import { plainCopy } from '../templates/variables.js';
import type { RemotePath } from '../transport/remote-path.js';
import type { ChangeRequestService } from './change-request.service.js';

/** CPU time one render may take in its worker (the pool's rule: at most 5× that in wall time) before the worker is terminated. Default 5 s. */
export const DEFAULT_TEMPLATE_TIMEOUT_MS = 5_000;
/** Largest template body accepted, in characters (the parse limit too). */
export const MAX_TEMPLATE_CHARS = 256 * 1024;

/** A template in `template list`. */
export interface TemplateView {
  readonly name: string;
  readonly type: ConfigType;
  /** The latest version (built-ins: 1). */
  readonly version: number;
  readonly description: string | null;
  readonly builtin: boolean;
  readonly createdAt: string | null;
  readonly createdBy: string | null;
}

export interface TemplateVersionView {
  readonly version: number;
  readonly type: ConfigType;
  readonly description: string | null;
  readonly createdAt: string | null;
  readonly createdBy: string | null;
}

/** `template show`: the latest version in full, and every version. */
export interface TemplateDetail extends TemplateView {
  readonly body: string;
  readonly schema: unknown;
  readonly versions: readonly TemplateVersionView[];
}

export interface NewTemplate {
  readonly type: string;
  readonly body: string;
  readonly schema?: unknown;
  readonly description?: string | null;
}

export interface RenderRequest {
  readonly variables?: Readonly<Record<string, unknown>>;
  /** Default: the latest. */
  readonly version?: number;
  /** The path the output is for (parse messages name it). */
  readonly path?: string;
}

/** SPEC §11.2 `template render --json`: content, valid, errors; plus which version rendered it. */
export interface RenderResult {
  readonly content: string;
  /** True when the config type's parser found no errors (parse-level only: no host was asked). */
  readonly valid: boolean;
  readonly errors: readonly string[];
  readonly template: string;
  readonly version: number;
  readonly type: ConfigType;
}

/** One file of a change request, as `POST /api/change-requests` takes it. */
export interface ProposedFile {
  readonly device: string;
  readonly path: string;
  readonly content: string;
}

/** What a change request service answers to a proposal (SPEC §11.2 `change propose --json`), as far as apply reads it. */
export interface ProposedChange {
  readonly id: string;
  readonly status: string;
  readonly riskLevel: string;
  readonly requiredApprovals?: number;
  readonly approvals?: readonly unknown[];
  /** Each target with its validation in context, when the service reports them. */
  readonly files?: readonly { readonly device: string; readonly path: string; readonly validation: { readonly status: string; readonly tool: string; readonly output: string } | null }[];
}

/**
 * The one thing apply needs from change requests: create one, on behalf
 * of `actor`, with these files. It validates every candidate in context on
 * its device and assesses the impact (refusing, with a typed error, what
 * the device's tool rejects), as ChangeRequestService.propose does.
 * `origin` names the template and version the content was rendered from.
 */
export type ProposeChange = (
  actor: string,
  request: { readonly title: string; readonly changes: readonly ProposedFile[]; readonly origin: { readonly kind: 'template'; readonly template: string; readonly version: number } },
) => Promise<ProposedChange>;

/** `ProposeChange` over the change request service: the rendered text becomes a content change. */
export const proposeThrough =
  (changes: Pick<ChangeRequestService, 'propose'>): ProposeChange =>
  (actor, request) =>
    changes.propose(actor, {
      title: request.title,
      changes: request.changes.map((c) => ({ device: c.device, path: c.path, source: { kind: 'content', content: Buffer.from(c.content, 'utf8') } })),
      origin: request.origin,
    });

export interface ApplyRequest {
  readonly device: string;
  readonly path: RemotePath;
  readonly variables?: Readonly<Record<string, unknown>>;
  readonly version?: number;
  /** Default: `Apply template NAME vN to DEVICE:PATH`. */
  readonly title?: string;
}

export interface ApplyResult {
  readonly template: string;
  readonly version: number;
  readonly device: string;
  readonly path: string;
  /** sha256 of the rendered bytes. */
  readonly contentHash: string;
  /** The target's validation in context, as the change request recorded it (null: not reported). */
  readonly validation: { readonly status: string; readonly tool: string; readonly output: string } | null;
  readonly changeRequest: ProposedChange;
}

export interface TemplateServiceDeps {
  readonly repository: TemplateRepository;
  /** The analysis pool (its `template` task). */
  readonly pool: { template(task: Omit<TemplateTask, 'kind'>, timeMs?: number): Promise<Budgeted<TemplateTaskResult>> };
  /** Creates the change request (ChangeRequestService.propose, which validates in context); without it apply is refused. */
  readonly propose?: ProposeChange;
  /** Hard timeout of one render. Default DEFAULT_TEMPLATE_TIMEOUT_MS. */
  readonly timeMs?: number;
}

const FAILURE_CODES: Record<TemplateFailureKind, ErrorCode> = {
  syntax: 'CW_ERR_TEMPLATE_SYNTAX',
  schema: 'CW_ERR_TEMPLATE_SCHEMA',
  variables: 'CW_ERR_TEMPLATE_VARS',
  render: 'CW_ERR_TEMPLATE_RENDER',
  limit: 'CW_ERR_TEMPLATE_LIMIT',
};

const isConfigType = (type: string): type is ConfigType => (CONFIG_TYPES as readonly string[]).includes(type);

export class TemplateService {
  readonly #deps: TemplateServiceDeps;
  readonly #timeMs: number;

  constructor(deps: TemplateServiceDeps) {
    this.#deps = deps;
    this.#timeMs = deps.timeMs ?? DEFAULT_TEMPLATE_TIMEOUT_MS;
  }

  /** Adds a template, or the next version of one; the body and schema are checked first (CW_ERR_TEMPLATE_SYNTAX, CW_ERR_TEMPLATE_SCHEMA). */
  async add(name: string, template: NewTemplate, actor: string | null): Promise<TemplateDetail> {
    assertValidName(name, 'template name');
    if (builtinTemplate(name)) throw new ConfwatchError('CW_ERR_TEMPLATE_BUILTIN', `"${name}" is a built-in template; add yours under another name`);
    if (!isConfigType(template.type)) throw new ConfwatchError('CW_ERR_USAGE', `--type "${template.type}" is not a config type: use ${CONFIG_TYPES.join(', ')}`);
    if (template.body.length > MAX_TEMPLATE_CHARS) throw new ConfwatchError('CW_ERR_INPUT', `the template is larger than ${MAX_TEMPLATE_CHARS} characters`);
    const schema = template.schema === undefined || template.schema === null ? null : plainCopy(template.schema, 'the variables schema');
    await this.#run({ body: template.body, type: template.type, ...(schema !== null ? { schema } : {}) });
    await this.#deps.repository.addVersion({ name, configType: template.type, body: template.body, schema, description: template.description ?? null, createdBy: actor });
    return this.show(name);
  }

  /** Built-ins first, then stored templates by name (their latest version). */
  async list(): Promise<TemplateView[]> {
    const stored = await this.#deps.repository.listLatest();
    return [...BUILTIN_TEMPLATES.map(builtinView), ...stored.map((t) => storedView(t))];
  }

  /** CW_ERR_NOT_FOUND for an unknown name. */
  async show(name: string): Promise<TemplateDetail> {
    const builtin = builtinTemplate(name);
    if (builtin) return { ...builtinView(builtin), body: builtin.body, schema: builtin.schema, versions: [{ version: 1, type: builtin.configType, description: builtin.description, createdAt: null, createdBy: null }] };
    const versions = await this.#deps.repository.versions(name);
    const latest = versions[0];
    if (!latest) throw unknown(name);
    return {
      ...storedView(latest),
      body: latest.body,
      schema: latest.schema,
      versions: versions.map((v) => ({ version: v.version, type: v.configType as ConfigType, description: v.description, createdAt: v.createdAt, createdBy: v.createdBy })),
    };
  }

  /** Removes every version; built-ins cannot be removed. */
  async remove(name: string): Promise<void> {
    if (builtinTemplate(name)) throw new ConfwatchError('CW_ERR_TEMPLATE_BUILTIN', `"${name}" is a built-in template and cannot be removed`);
    if (!(await this.#deps.repository.remove(name))) throw unknown(name);
  }

  /**
   * Renders a version with variables and parses the output with the
   * type's parser. Never touches a host: `valid` is parse-level validity.
   * Fails (typed errors) on variables the schema refuses, render errors
   * and budgets; parse errors of the output are findings (`valid: false`).
   */
  async render(name: string, request: RenderRequest = {}): Promise<RenderResult> {
    const template = await this.#version(name, request.version);
    const variables = plainCopy(request.variables ?? {}, 'the variables') as Record<string, unknown>;
    const result = await this.#run({
      body: template.body,
      type: template.type,
      variables,
      ...(template.schema !== null && template.schema !== undefined ? { schema: template.schema } : {}),
      ...(request.path !== undefined ? { path: request.path } : {}),
    });
    return { content: result.content, valid: result.valid, errors: result.errors, template: name, version: template.version, type: template.type };
  }

  /**
   * Renders, refuses output its parser rejects (CW_ERR_WRITEBACK_INVALID,
   * nothing proposed), then proposes a change request with the rendered
   * bytes (the proposal validates them in context on the device and
   * assesses their impact), and remembers the render against the file, so
   * the version that lands is recognised and a later hand edit flagged.
   */
  async apply(name: string, request: ApplyRequest, actor: string): Promise<ApplyResult> {
    const { propose } = this.#deps;
    if (!propose) {
      throw new ConfwatchError('CW_ERR_TEMPLATE_APPLY_UNAVAILABLE', 'this confwatch was started without change requests, so a template cannot be applied; render it and write it with `confwatch apply`');
    }
    const rendered = await this.render(name, { ...request, path: request.path });
    if (!rendered.valid) {
      throw new ConfwatchError('CW_ERR_WRITEBACK_INVALID', `template ${name} v${rendered.version} renders a ${rendered.type} file its parser refuses (${rendered.errors.slice(0, 3).join('; ')}); nothing was proposed`);
    }
    const title = request.title ?? `Apply template ${name} v${rendered.version} to ${request.device}:${request.path}`;
    const changeRequest = await propose(actor, {
      title,
      changes: [{ device: request.device, path: request.path, content: rendered.content }],
      origin: { kind: 'template', template: name, version: rendered.version },
    });
    const contentHash = sha256Hex(Buffer.from(rendered.content, 'utf8'));
    await this.#deps.repository.recordRender({
      device: request.device,
      path: request.path,
      template: name,
      version: rendered.version,
      contentHash,
      changeRequest: changeRequest.id,
      renderedBy: actor,
    });
    const target = changeRequest.files?.find((f) => f.device === request.device && f.path === request.path);
    return {
      template: name,
      version: rendered.version,
      device: request.device,
      path: request.path,
      contentHash,
      validation: target?.validation ? { status: target.validation.status, tool: target.validation.tool, output: target.validation.output } : null,
      changeRequest: { id: changeRequest.id, status: changeRequest.status, riskLevel: changeRequest.riskLevel, ...(changeRequest.requiredApprovals !== undefined ? { requiredApprovals: changeRequest.requiredApprovals } : {}), ...(changeRequest.approvals ? { approvals: changeRequest.approvals } : {}) },
    };
  }

  /** The renders remembered for a file, newest first. */
  renders(device: string, path: string): Promise<TemplateRender[]> {
    return this.#deps.repository.renders(device, path);
  }

  async #version(name: string, version?: number): Promise<{ body: string; schema: unknown; type: ConfigType; version: number }> {
    const builtin = builtinTemplate(name);
    if (builtin) {
      if (version !== undefined && version !== 1) throw new ConfwatchError('CW_ERR_NOT_FOUND', `built-in template ${name} has only version 1`);
      return { body: builtin.body, schema: builtin.schema, type: builtin.configType, version: 1 };
    }
    const stored = await this.#deps.repository.get(name, version);
    if (!stored) throw version === undefined ? unknown(name) : new ConfwatchError('CW_ERR_NOT_FOUND', `template ${name} has no version ${version}; see \`confwatch template show ${name}\``);
    return { body: stored.body, schema: stored.schema, type: stored.configType as ConfigType, version: stored.version };
  }

  /** Runs a task in the pool; a failure or a budget becomes its typed error. */
  async #run(task: Omit<TemplateTask, 'kind'>): Promise<Extract<TemplateTaskResult, { ok: true }>> {
    const outcome = await this.#deps.pool.template({ ...task, limits: { parseChars: MAX_TEMPLATE_CHARS, outputChars: MAX_OUTPUT_CHARS } }, this.#timeMs);
    if (!outcome.ok) {
      throw new ConfwatchError('CW_ERR_TEMPLATE_LIMIT', `the template render was stopped: it went over its ${outcome.budget} budget (${outcome.limit}); nothing was produced`, {
        details: { budget: outcome.budget, limit: outcome.limit },
      });
    }
    const result = outcome.value;
    if (!result.ok) {
      const details = result.kind === 'variables' ? { errors: [...result.errors] } : {};
      throw new ConfwatchError(FAILURE_CODES[result.kind], describe(result.kind, result.message), { details });
    }
    return result;
  }
}

function describe(kind: TemplateFailureKind, message: string): string {
  if (kind === 'variables') return `the variables do not fit the template's schema: ${message}`;
  if (kind === 'syntax') return `the template does not parse: ${message}`;
  if (kind === 'schema') return message;
  if (kind === 'limit') return `the template render was stopped: ${message}`;
  return `the template did not render: ${message}`;
}

const unknown = (name: string) => new ConfwatchError('CW_ERR_NOT_FOUND', `unknown template "${name}"; see \`confwatch template list\``);

const builtinView = (t: BuiltinTemplate): TemplateView => ({ name: t.name, type: t.configType, version: 1, description: t.description, builtin: true, createdAt: null, createdBy: null });

const storedView = (t: StoredTemplateVersion): TemplateView => ({
  name: t.name,
  type: t.configType as ConfigType,
  version: t.version,
  description: t.description,
  builtin: false,
  createdAt: t.createdAt,
  createdBy: t.createdBy,
});
