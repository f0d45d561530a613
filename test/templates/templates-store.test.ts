/**
 * Templates on each database (SQLite and PostgreSQL): versions (adding
 * under a name that exists makes the next one; show lists them; an older
 * version still renders), the body sealed at rest, removal, built-ins that
 * cannot be replaced; and a render applied to a file of a local device,
 * remembered against the snapshot that holds its bytes, so the next hand
 * edit is flagged in that version's impact.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ImpactReason } from '../../src/analysis/impact.js';
import { AnalysisPool } from '../../src/compute/analysis-pool.js';
import { initHome } from '../../src/services/init.service.js';
import { openServices, type Services } from '../../src/services/services.js';
import { type ProposeChange, TemplateService } from '../../src/services/template.service.js';
import { rotateMasterKey } from '../../src/store/key-rotation.js';
import { TemplateRepository } from '../../src/store/templates.repository.js';
import { describeUnless } from '../helpers/components.js';
import { createTarget, postgresUnavailable, type TargetInstance } from '../store/store-targets.js';

const MARKER = 'QZX9TEMPLATEBODY';
const pgMissing = await postgresUnavailable();

for (const dialect of ['sqlite', 'postgres'] as const) {
  describeUnless(dialect === 'postgres' ? (pgMissing ?? null) : null, `templates: versions, store and provenance (${dialect})`, () => {
    let target: TargetInstance;
    let services: Services;
    let root: string;
    let pool: AnalysisPool;
    let applying: TemplateService;
    const proposals: Parameters<ProposeChange>[] = [];

    beforeAll(async () => {
      target = await createTarget(dialect);
      root = join(target.home, 'host');
      mkdirSync(join(root, 'app'), { recursive: true });
      writeFileSync(join(root, 'app', 'settings.ini'), 'mode=manual\n');
      const env = { CONFWATCH_HOME: target.home, ...(target.databaseUrl ? { CONFWATCH_DATABASE_URL: target.databaseUrl } : {}) };
      const environment = { home: target.home, databaseUrl: target.databaseUrl, env };
      await initHome(environment);
      services = await openServices(environment);
      await services.devices.add({ name: 'web', local: true, watch: [`${root}/**`] });
      await services.monitoring.scan('web');
      await services.analysis.idle();
      pool = new AnalysisPool({ size: 1 });
      // change requests come from their own service; here a recorder stands in for its propose
      const propose: ProposeChange = async (actor, request) => {
        proposals.push([actor, request]);
        return { id: `cr-${proposals.length}`, status: 'pending', riskLevel: 'LOW', requiredApprovals: 1, approvals: [] };
      };
      applying = new TemplateService({ repository: new TemplateRepository(services.store), pool, propose });
    });

    afterAll(async () => {
      await pool.close();
      await services.close();
      await target.dispose();
    });

    it('keeps every version, shows them newest first and renders an older one', async () => {
      const first = await services.templates.add('settings', { type: 'generic', body: `# ${MARKER}\nmode={{ mode }}\n`, description: 'app settings' }, 'cli:alice');
      expect(first).toMatchObject({ name: 'settings', version: 1, type: 'generic', builtin: false, createdBy: 'cli:alice', description: 'app settings' });
      const schema = { type: 'object', required: ['mode'], properties: { mode: { type: 'string', enum: ['auto', 'manual'] }, level: { type: 'integer', default: 3 } } };
      const second = await services.templates.add('settings', { type: 'generic', body: `# ${MARKER}\nmode={{ mode }}\nlevel={{ level }}\n`, schema }, 'bob');
      expect(second.version).toBe(2);
      expect(second.versions.map((v) => v.version)).toEqual([2, 1]);
      expect(second.schema).toEqual(schema);

      const list = await services.templates.list();
      expect(list.filter((t) => t.builtin).map((t) => t.name)).toEqual(['swag-subdomain', 'compose-service', 'systemd-hardened']);
      expect(list.find((t) => t.name === 'settings')).toMatchObject({ version: 2, createdBy: 'bob' });

      expect(await services.templates.render('settings', { variables: { mode: 'auto' } })).toMatchObject({ content: `# ${MARKER}\nmode=auto\nlevel=3\n`, valid: true, version: 2 });
      expect(await services.templates.render('settings', { variables: { mode: 'x' }, version: 1 })).toMatchObject({ content: `# ${MARKER}\nmode=x\n`, version: 1 });
      await expect(services.templates.render('settings', { variables: { mode: 'x' } })).rejects.toMatchObject({ code: 'CW_ERR_TEMPLATE_VARS', message: expect.stringContaining('variable "mode" must be one of: auto, manual') });
      await expect(services.templates.render('settings', { version: 7 })).rejects.toMatchObject({ code: 'CW_ERR_NOT_FOUND' });

      // sealed at rest: the body never appears in clear in the database
      const { rows } = await sql<{ body: string }>`select body from templates where name = 'settings'`.execute(services.store.db);
      expect(rows).toHaveLength(2);
      for (const row of rows) {
        expect(row.body.startsWith('cw1:')).toBe(true);
        expect(row.body).not.toContain(MARKER);
      }

      // keys rotate re-seals the bodies under the new key, and they still open
      const before = services.store.keyRing.current.id;
      await rotateMasterKey(target.home, services.store);
      const after = await sql<{ body: string }>`select body from templates where name = 'settings'`.execute(services.store.db);
      for (const row of after.rows) expect(row.body.startsWith(`cw1:${services.store.keyRing.current.id}:`)).toBe(true);
      expect(services.store.keyRing.current.id).not.toBe(before);
      expect((await services.templates.show('settings')).body).toContain(MARKER);
    });

    it('refuses bad bodies and schemas before storing, and protects the built-ins', async () => {
      await expect(services.templates.add('broken', { type: 'generic', body: '{% if x %}no end' }, null)).rejects.toMatchObject({ code: 'CW_ERR_TEMPLATE_SYNTAX' });
      await expect(services.templates.add('broken', { type: 'generic', body: 'x', schema: { type: 'bogus' } }, null)).rejects.toMatchObject({ code: 'CW_ERR_TEMPLATE_SCHEMA' });
      await expect(services.templates.add('broken', { type: 'yaml', body: 'x' }, null)).rejects.toMatchObject({ code: 'CW_ERR_USAGE' });
      await expect(services.templates.show('broken')).rejects.toMatchObject({ code: 'CW_ERR_NOT_FOUND' });
      await expect(services.templates.add('swag-subdomain', { type: 'nginx', body: 'x' }, null)).rejects.toMatchObject({ code: 'CW_ERR_TEMPLATE_BUILTIN' });
      await expect(services.templates.remove('swag-subdomain')).rejects.toMatchObject({ code: 'CW_ERR_TEMPLATE_BUILTIN' });
      await expect(services.templates.add('Bad Name', { type: 'generic', body: 'x' }, null)).rejects.toMatchObject({ code: 'CW_ERR_INVALID_NAME' });
    });

    it('remembers an applied render and flags the next hand edit in its impact', async () => {
      const path = join(root, 'app', 'settings.ini');
      const applied = await applying.apply('settings', { device: 'web', path, variables: { mode: 'auto' } }, 'carol');
      expect(applied).toMatchObject({ template: 'settings', version: 2, device: 'web', path, changeRequest: { id: 'cr-1', status: 'pending' } });
      expect(proposals).toEqual([
        ['carol', { title: `Apply template settings v2 to web:${path}`, changes: [{ device: 'web', path, content: `# ${MARKER}\nmode=auto\nlevel=3\n` }], origin: { kind: 'template', template: 'settings', version: 2 } }],
      ]);

      // the change request writes the rendered bytes; the snapshot that holds them is the render's
      writeFileSync(path, `# ${MARKER}\nmode=auto\nlevel=3\n`);
      await services.monitoring.scan('web');
      await services.analysis.idle();
      const rendered = await services.store.latestSnapshot('web', path);
      const [render] = await services.templates.renders('web', path);
      expect(render).toMatchObject({ template: 'settings', version: 2, changeRequest: 'cr-1', appliedSnapshot: rendered?.id, renderedBy: 'carol' });
      expect(reasons(rendered?.impact)).not.toContainEqual(expect.objectContaining({ rule: 'template-hand-edit' }));

      writeFileSync(path, `# ${MARKER}\nmode=manual\nlevel=3\n`);
      await services.monitoring.scan('web');
      await services.analysis.idle();
      const edited = await services.store.latestSnapshot('web', path);
      expect(edited?.id).not.toBe(rendered?.id);
      expect(reasons(edited?.impact)).toContainEqual({ rule: 'template-hand-edit', level: 'LOW', detail: 'edited by hand, last rendered from template settings v2' });
    });

    it('removes every version; the file keeps naming the template it was rendered from', async () => {
      await services.templates.remove('settings');
      await expect(services.templates.show('settings')).rejects.toMatchObject({ code: 'CW_ERR_NOT_FOUND' });
      await expect(services.templates.remove('settings')).rejects.toMatchObject({ code: 'CW_ERR_NOT_FOUND' });
      expect(await services.templates.renders('web', join(root, 'app', 'settings.ini'))).toHaveLength(1);
    });
  });
}

const reasons = (impact: unknown): ImpactReason[] => ((impact as { reasons?: ImpactReason[] } | null)?.reasons ?? []) as ImpactReason[];
