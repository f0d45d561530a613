/**
 * Rows of the templates feature (migration 0017): the versions of each
 * named template, and the renders applied to files. A template's body is
 * sealed here, so callers pass and get plain text. Adding a template
 * under a name that exists makes its next version; versions are never
 * edited.
 */
import type { Kysely } from 'kysely';
import { ConfwatchError } from '../errors.js';
import { newId } from './ids.js';
import { sealedColumnName } from './sealed-columns.js';
import type { SealedJson } from './sealed-json.js';
import type { Database } from './tables.js';

interface TemplatesTable {
  name: string;
  version: number;
  config_type: string;
  body: string;
  schema: string | null;
  description: string | null;
  created_by: string | null;
  created_at: string;
}

interface TemplateRendersTable {
  id: string;
  device: string;
  path: string;
  template: string;
  version: number;
  content_hash: string;
  change_request: string | null;
  applied_snapshot: string | null;
  rendered_by: string | null;
  rendered_at: string;
}

interface TemplatesDatabase extends Database {
  templates: TemplatesTable;
  template_renders: TemplateRendersTable;
}

export interface NewTemplateVersion {
  readonly name: string;
  readonly configType: string;
  readonly body: string;
  /** The variables' JSON Schema; null: any variables. */
  readonly schema: unknown;
  readonly description: string | null;
  /** Who added it (`user` or `cli:user`). */
  readonly createdBy: string | null;
}

export interface StoredTemplateVersion extends NewTemplateVersion {
  readonly version: number;
  readonly createdAt: string;
}

/** A render applied (proposed) to a file. */
export interface TemplateRender {
  readonly id: string;
  readonly device: string;
  readonly path: string;
  readonly template: string;
  readonly version: number;
  /** sha256 of the rendered bytes. */
  readonly contentHash: string;
  /** The change request that carries it, when one was made. */
  readonly changeRequest: string | null;
  /** The first stored snapshot holding exactly these bytes: the render reached the file. */
  readonly appliedSnapshot: string | null;
  readonly renderedBy: string | null;
  readonly renderedAt: string;
}

const isUniqueViolation = (error: unknown): boolean => {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
};

const bodyPlace = (name: string, version: number) => ({ column: sealedColumnName('templates', 'body'), row: [name, String(version)] });

export class TemplateRepository {
  readonly #db: Kysely<TemplatesDatabase>;
  readonly #sealed: SealedJson;

  /** `store`: the KyselyStore (or anything with its database and sealer). */
  constructor(store: { readonly db: Kysely<Database>; readonly sealed: SealedJson }) {
    this.#db = store.db as unknown as Kysely<TemplatesDatabase>;
    this.#sealed = store.sealed;
  }

  /** Stores the next version of `name` (1 for a new name). Two adds racing: one retries once with the following number. */
  async addVersion(template: NewTemplateVersion, now = new Date()): Promise<StoredTemplateVersion> {
    for (let attempt = 0; ; attempt++) {
      const latest = await this.#db.selectFrom('templates').select((eb) => eb.fn.max('version').as('v')).where('name', '=', template.name).executeTakeFirst();
      const version = Number(latest?.v ?? 0) + 1;
      const createdAt = now.toISOString();
      try {
        await this.#db
          .insertInto('templates')
          .values({
            name: template.name,
            version,
            config_type: template.configType,
            body: this.#sealed.seal(template.body, bodyPlace(template.name, version)) as string,
            schema: template.schema === null || template.schema === undefined ? null : JSON.stringify(template.schema),
            description: template.description,
            created_by: template.createdBy,
            created_at: createdAt,
          })
          .execute();
        return { ...template, version, createdAt };
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= 3) {
          if (isUniqueViolation(error)) throw new ConfwatchError('CW_ERR_ALREADY_EXISTS', `template "${template.name}" is being changed by someone else; retry`);
          throw error;
        }
      }
    }
  }

  /** The latest version of each template, by name. */
  async listLatest(): Promise<(StoredTemplateVersion & { readonly versions: number })[]> {
    const rows = await this.#db.selectFrom('templates').selectAll().orderBy('name').orderBy('version', 'desc').execute();
    const out: (StoredTemplateVersion & { versions: number })[] = [];
    for (const row of rows) {
      const last = out.at(-1);
      if (last && last.name === row.name) continue;
      out.push({ ...this.#version(row), versions: row.version });
    }
    return out;
  }

  /** Every version of a template, newest first; empty when there is none. */
  async versions(name: string): Promise<StoredTemplateVersion[]> {
    const rows = await this.#db.selectFrom('templates').selectAll().where('name', '=', name).orderBy('version', 'desc').execute();
    return rows.map((row) => this.#version(row));
  }

  /** One version, or the latest when `version` is omitted. */
  async get(name: string, version?: number): Promise<StoredTemplateVersion | undefined> {
    let query = this.#db.selectFrom('templates').selectAll().where('name', '=', name);
    query = version === undefined ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
    const row = await query.executeTakeFirst();
    return row ? this.#version(row) : undefined;
  }

  /** Removes every version of a template; false when there was none. Its renders stay, naming it. */
  async remove(name: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('templates').where('name', '=', name).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async recordRender(render: Omit<TemplateRender, 'id' | 'appliedSnapshot' | 'renderedAt'>, now = new Date()): Promise<TemplateRender> {
    const stored: TemplateRender = { ...render, id: newId(), appliedSnapshot: null, renderedAt: now.toISOString() };
    await this.#db
      .insertInto('template_renders')
      .values({
        id: stored.id,
        device: stored.device,
        path: stored.path,
        template: stored.template,
        version: stored.version,
        content_hash: stored.contentHash,
        change_request: stored.changeRequest,
        applied_snapshot: null,
        rendered_by: stored.renderedBy,
        rendered_at: stored.renderedAt,
      })
      .execute();
    return stored;
  }

  /** The renders of one file, newest first. */
  async renders(device: string, path: string, limit = 20): Promise<TemplateRender[]> {
    const rows = await this.#db
      .selectFrom('template_renders')
      .selectAll()
      .where('device', '=', device)
      .where('path', '=', path)
      .orderBy('rendered_at', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map(render);
  }

  /** Records that a stored snapshot holds a render's bytes (the first one only). */
  async markApplied(id: string, snapshotId: string): Promise<void> {
    await this.#db.updateTable('template_renders').set({ applied_snapshot: snapshotId }).where('id', '=', id).where('applied_snapshot', 'is', null).execute();
  }

  #version(row: TemplatesTable): StoredTemplateVersion {
    return {
      name: row.name,
      version: row.version,
      configType: row.config_type,
      body: this.#sealed.open<string>(row.body, bodyPlace(row.name, row.version)) as string,
      schema: row.schema === null ? null : (JSON.parse(row.schema) as unknown),
      description: row.description,
      createdBy: row.created_by,
      createdAt: row.created_at,
    };
  }
}

const render = (row: TemplateRendersTable): TemplateRender => ({
  id: row.id,
  device: row.device,
  path: row.path,
  template: row.template,
  version: Number(row.version),
  contentHash: row.content_hash,
  changeRequest: row.change_request,
  appliedSnapshot: row.applied_snapshot,
  renderedBy: row.rendered_by,
  renderedAt: row.rendered_at,
});
