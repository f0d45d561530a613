/**
 * `confwatch user add|list|remove`, `confwatch token create|list|revoke`
 * and `confwatch audit` (SPEC §6). CLI mutations are audited with the
 * local OS user as actor (`cli:<user>`).
 */
import type { Command } from 'commander';
import type { AuditRecorder } from '../../auth/audit-recorder.js';
import { ROLES } from '../../auth/scopes.js';
import type { AuthService } from '../../services/auth.service.js';
import type { Services } from '../../services/services.js';
import type { AuditRecord } from '../../store/records.js';
import { cliActor } from '../cli-audit.js';
import { type CommandEnv, intOption } from '../options.js';

interface Auth {
  readonly auth: AuthService;
  readonly audit: AuditRecorder;
  readonly services: Services;
}

async function openAuth(env: CommandEnv): Promise<Auth> {
  const services = await env.ctx.services();
  return { auth: services.auth, audit: services.audit, services };
}


async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

export function registerAuthCommands(program: Command, env: CommandEnv): void {
  const { output } = env;
  const user = program.command('user').description('manage API and UI users');

  user
    .command('add')
    .argument('<name>', 'user name (slug)')
    .description('add a user with a role')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--password-stdin', 'read the UI password from stdin (otherwise the user can only use API tokens)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { role: string; passwordStdin?: boolean; json?: boolean }) => {
      const password = opts.passwordStdin ? await readPassword() : undefined;
      const { auth, audit } = await openAuth(env);
      const added = await auth.addUser(name, opts.role, password);
      await audit.record({ actor: cliActor(), action: 'user.add', target: `name=${name}`, clientAddress: null, result: 'ok', details: { role: added.role } });
      output(opts).result(added, (u) => `added user ${u.name} (${u.role}${u.hasPassword ? ', with password' : ', token-only'})`);
    });

  user
    .command('list')
    .description('list users')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { auth } = await openAuth(env);
      output(opts).result(await auth.listUsers(), (users) => users.map((u) => `${u.name}\t${u.role}${u.disabled ? '\tdisabled' : ''}`).join('\n'));
    });

  user
    .command('remove')
    .argument('<name>')
    .description('remove a user with their tokens and sessions')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { auth, audit } = await openAuth(env);
      await auth.removeUser(name);
      await audit.record({ actor: cliActor(), action: 'user.remove', target: `name=${name}`, clientAddress: null, result: 'ok', details: null });
      output(opts).result({ removed: name }, () => `removed user ${name}`);
    });

  const token = program.command('token').description('manage API tokens');

  token
    .command('create')
    .description('create an API token (printed once)')
    .requiredOption('--user <name>', 'the user the token acts as')
    .option('--label <label>', 'what the token is for')
    .option('--expires <time>', 'ISO-8601 expiry time')
    .option('--json', 'machine-readable output: {"token": "..."}')
    .action(async (opts: { user: string; label?: string; expires?: string; json?: boolean }) => {
      const { auth, audit } = await openAuth(env);
      const { token: secret, record } = await auth.createToken(opts.user, {
        ...(opts.label ? { label: opts.label } : {}),
        ...(opts.expires ? { expiresAt: opts.expires } : {}),
      });
      await audit.record({ actor: cliActor(), action: 'token.create', target: `user=${record.user} id=${record.id}`, clientAddress: null, result: 'ok', details: null });
      output(opts).result({ token: secret, id: record.id, user: record.user, expiresAt: record.expiresAt }, (t) => `${t.token}\n(shown once; store it now)`);
    });

  token
    .command('list')
    .description('list API tokens (ids and last use, never the tokens)')
    .option('--user <name>', 'only this user\'s tokens')
    .option('--json', 'machine-readable output')
    .action(async (opts: { user?: string; json?: boolean }) => {
      const { auth } = await openAuth(env);
      output(opts).result(await auth.listTokens(opts.user), (tokens) =>
        tokens.map((t) => `${t.id}\t${t.user}\t${t.label ?? ''}\tlast used ${t.lastUsedAt ?? 'never'}${t.expiresAt ? `\texpires ${t.expiresAt}` : ''}`).join('\n'),
      );
    });

  token
    .command('revoke')
    .argument('<id>', 'token id (the 8 hex characters after cw_)')
    .description('revoke an API token')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const { auth, audit } = await openAuth(env);
      await auth.revokeToken(id);
      await audit.record({ actor: cliActor(), action: 'token.revoke', target: `id=${id}`, clientAddress: null, result: 'ok', details: null });
      output(opts).result({ revoked: id }, () => `revoked token ${id}`);
    });

  program
    .command('audit')
    .description('show the audit log, newest first')
    .option('--limit <n>', 'entries to show (default 100)', intOption('--limit'))
    .option('--json', 'machine-readable output')
    .action(async (opts: { limit?: number; json?: boolean }) => {
      const { services } = await openAuth(env);
      const entries = await services.store.listAudit({ limit: opts.limit ?? 100 });
      output(opts).result(entries, (list) => list.map(describeAudit).join('\n') || 'no audit entries');
    });
}

const describeAudit = (e: AuditRecord): string =>
  [e.at, e.actor, e.action, e.target ?? '-', e.clientAddress ?? '-', e.result].join('\t');
