import type { Command } from 'commander';
import { ConfwatchError } from '../../errors.js';
import { CONFIG_TYPES, type ConfigType } from '../../parsers/parser.js';
import type { DeviceMode, DeviceRecord, ProfileRecord } from '../../store/records.js';
import { bytesOption, collect, intOption, type CommandEnv, type SetExit } from '../options.js';
import type { AuditTargetPair } from '../../auth/audit-target.js';
import { auditedCommand } from '../cli-audit.js';
import { DEFAULT_STORAGE_QUOTA_BYTES } from '../../detect/capture.js';

interface AddOptions {
  host?: string;
  port?: number;
  user?: string;
  identity?: string;
  local?: boolean;
  mode?: string;
  pollInterval?: number;
  profile?: string[];
  watch?: string[];
  exclude?: string[];
  type?: string;
  sudo?: boolean;
  jump?: string;
  tag?: string[];
  trustHostKey?: boolean;
  hostKey?: string;
  passphraseStdin?: boolean;
  validateOnCapture?: boolean;
  map?: string[];
  requireValidation?: boolean;
  quota?: number;
  json?: boolean;
}

const MODES: readonly DeviceMode[] = ['auto', 'realtime', 'polling'];

export function registerDeviceCommands(program: Command, { ctx, output }: CommandEnv, setExit: SetExit): void {
  const device = program.command('device').description('manage watched hosts');

  device
    .command('add')
    .argument('<name>', 'device name (slug)')
    .description('add a host (SSH, or --local for this machine)')
    .option('--host <host>', 'host name or address')
    .option('--port <n>', 'SSH port (default 22)', intOption('--port'))
    .option('--user <user>', 'SSH user (default root)')
    .option('--identity <file>', 'private key file (default: ssh-agent)')
    .option('--passphrase-stdin', 'read the identity passphrase from stdin (stored encrypted)')
    .option('--local', 'this machine, without SSH')
    .option('--mode <mode>', 'auto | realtime | polling', 'auto')
    .option('--poll-interval <seconds>', 'poll interval for every profile (min 5)', intOption('--poll-interval'))
    .option('--profile <name>', 'built-in profile: swag, nginx, compose, systemd, sshd (name:/root1,/root2 sets roots); repeatable', collect)
    .option('--watch <glob>', 'absolute glob to watch; repeatable', collect)
    .option('--exclude <glob>', 'glob to ignore; repeatable', collect)
    .option('--type <type>', `config type of the --watch globs: ${CONFIG_TYPES.join(', ')}`)
    .option('--sudo', 'read and write through sudo -n')
    .option('--jump <device>', 'connect through another device')
    .option('--tag <tag>', 'tag; repeatable', collect)
    .option('--validate-on-capture', 'validate every captured version with the real tool (nginx -t, sshd -t, …) in the background')
    .option('--map <container=host>', 'a container path and the host directory behind it (/config=/srv/swag); repeatable', collect)
    .option('--require-validation', 'refuse a write-back when validation cannot run in context (default: go ahead with a warning)')
    .option('--quota <bytes>', 'file contents the device\'s history may hold (default 2G; suffixes K, M, G, T)', bytesOption('--quota'))
    .option('--trust-host-key', 'pin the host key the host presents now')
    .option('--host-key <fingerprint>', 'pin this host key (SHA256:…)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: AddOptions) => {
      const out = output(opts);
      if (opts.mode && !MODES.includes(opts.mode as DeviceMode)) throw usage(`--mode must be one of ${MODES.join(', ')}`);
      if (opts.type && !CONFIG_TYPES.includes(opts.type as ConfigType)) throw usage(`--type must be one of ${CONFIG_TYPES.join(', ')}`);
      if (opts.trustHostKey && opts.hostKey) throw usage('give either --trust-host-key or --host-key, not both');
      if (opts.local && opts.host) throw usage('--local devices take no --host');
      const passphrase = opts.passphraseStdin ? (await readStdin()).replace(/\r?\n$/, '') : undefined;
      const { devices, audit } = await ctx.services();
      const { device: added, profiles } = await auditedCommand(audit, 'device.add', [['device', name]], () => devices.add({
        name,
        ...(opts.host ? { host: opts.host } : {}),
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.user ? { user: opts.user } : {}),
        ...(opts.identity ? { identityFile: opts.identity } : {}),
        ...(passphrase ? { passphrase } : {}),
        local: opts.local === true,
        mode: (opts.mode ?? 'auto') as DeviceMode,
        ...(opts.pollInterval !== undefined ? { pollIntervalSec: opts.pollInterval } : {}),
        profiles: opts.profile ?? [],
        watch: opts.watch ?? [],
        exclude: opts.exclude ?? [],
        ...(opts.type ? { type: opts.type as ConfigType } : {}),
        sudo: opts.sudo === true,
        ...(opts.jump ? { jump: opts.jump } : {}),
        tags: opts.tag ?? [],
        ...(opts.hostKey ? { hostKey: opts.hostKey } : {}),
        trustHostKey: opts.trustHostKey === true,
        validateOnCapture: opts.validateOnCapture === true,
        ...(opts.map ? { maps: opts.map } : {}),
        ...(opts.requireValidation ? { requireValidation: true } : {}),
        ...(opts.quota !== undefined ? { storageQuotaBytes: opts.quota } : {}),
      }));
      out.result({ ...added, profiles }, (d) => `added ${describe(d)}\n${d.profiles.map(describeProfile).join('\n')}`);
    });

  device
    .command('list')
    .description('list devices')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { devices } = await ctx.services();
      const list = await devices.list();
      output(opts).result(list, (l) => (l.length ? l.map(describe).join('\n') : 'no devices; add one with `confwatch device add`'));
    });

  device
    .command('show')
    .argument('<name>')
    .description('show a device and its profiles')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { devices } = await ctx.services();
      const { device: d, profiles } = await devices.show(name);
      output(opts).result({ ...d, profiles }, (r) =>
        [
          describe(r),
          `host key: ${r.hostKey ?? '(none)'}`,
          `mode: ${r.mode}${r.sudo ? ', sudo' : ''}`,
          `storage quota: ${describeQuota(r.storageQuotaBytes)}`,
          ...(r.pathMappings ?? []).map((m) => `map: ${m.container} = ${m.host}`),
          ...r.profiles.map(describeProfile),
        ].join('\n'),
      );
    });

  device
    .command('remove')
    .argument('<name>')
    .description('remove a device (its history is kept)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { devices, audit } = await ctx.services();
      await auditedCommand(audit, 'device.remove', [['device', name]], () => devices.remove(name));
      output(opts).result({ removed: name }, () => `removed ${name}`);
    });

  device
    .command('import')
    .argument('<file>', '~/.ssh/config-style file or Ansible inventory (YAML or INI)')
    .description('add every host of an ssh config or Ansible inventory (all or nothing)')
    .option('--profile <name>', 'profile for the imported hosts (default sshd); repeatable', collect)
    .option('--watch <glob>', 'glob for the imported hosts; repeatable', collect)
    .option('--trust-host-keys', 'pin the key each host presents now')
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { profile?: string[]; watch?: string[]; trustHostKeys?: boolean; json?: boolean }) => {
      const out = output(opts);
      const { devices, audit } = await ctx.services();
      const result = await auditedCommand(audit, 'device.import', [], async (note) => {
        const imported = await devices.import(file, {
          ...(opts.profile ? { profiles: opts.profile } : {}),
          ...(opts.watch ? { watch: opts.watch } : {}),
          trustHostKeys: opts.trustHostKeys === true,
        });
        note(...imported.added.map((d): AuditTargetPair => ['device', d.name]));
        return imported;
      });
      for (const w of result.warnings) out.note(`warning: ${w}`);
      out.result(result, (r) =>
        [
          `imported ${r.added.length} device(s)${r.skipped.length ? `, skipped ${r.skipped.length}` : ''}`,
          ...r.added.map((d) => `  + ${describe(d)}${d.hostKey ? '' : `  (run \`confwatch device trust ${d.name}\` before use)`}`),
          ...r.skipped.map((s) => `  = ${s.name}: ${s.reason}`),
        ].join('\n'),
      );
    });

  device
    .command('trust')
    .argument('<name>')
    .description('pin the host key a device presents now, or the one given')
    .option('--host-key <fingerprint>', 'pin this key (SHA256:…)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { hostKey?: string; json?: boolean }) => {
      const { devices, audit } = await ctx.services();
      const d = await auditedCommand(audit, 'device.trust', [['device', name]], () => devices.trust(name, opts.hostKey));
      output(opts).result(d, (r) => `${r.name}: pinned ${r.hostKey}`);
    });

  device
    .command('set')
    .argument('<name>')
    .description('change a device setting: its storage quota')
    .option('--quota <bytes>', 'file contents its history may hold (suffixes K, M, G, T), or "default" (2G)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { quota?: string; json?: boolean }) => {
      if (opts.quota === undefined) throw usage('give a setting to change: --quota BYTES (or --quota default)');
      const quota = opts.quota === 'default' ? null : bytesOption('--quota')(opts.quota);
      const { devices, audit } = await ctx.services();
      const d = await auditedCommand(audit, 'device.set', [['device', name]], () => devices.setQuota(name, quota));
      output(opts).result(d, (r) => `${r.name}: storage quota ${describeQuota(r.storageQuotaBytes)}`);
    });

  device
    .command('check')
    .argument('<name>')
    .description('connect, show the host key, capabilities and the mode auto would choose')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { json?: boolean }) => {
      const { devices } = await ctx.services();
      const check = await devices.check(name);
      output(opts).result(check, (c) => {
        if (!c.reachable) return `${c.name}: unreachable: ${c.error?.message ?? 'unknown error'}`;
        const caps = c.capabilities;
        const lines = [`${c.name}: reachable, host key ${c.hostKey ?? '(local)'}`, `mode: ${c.mode} (${c.modeReason ?? ''})`];
        if (caps) {
          for (const [k, v] of Object.entries(caps)) lines.push(`  ${k}: ${typeof v === 'object' && v ? JSON.stringify(v) : String(v)}`);
        }
        return lines.join('\n');
      });
      if (!check.reachable) setExit(1, check.error?.message ?? `${name} is unreachable`);
    });
}

const usage = (message: string) => new ConfwatchError('CW_ERR_USAGE', message);

const describeQuota = (bytes: number | null | undefined): string => (bytes == null ? `${DEFAULT_STORAGE_QUOTA_BYTES} bytes (default)` : `${bytes} bytes`);

const describe = (d: DeviceRecord) =>
  `${d.name}  ${d.transport === 'local' ? 'local' : `${d.user}@${d.host}:${d.port}${d.jump ? ` via ${d.jump}` : ''}`}${d.tags.length ? `  [${d.tags.join(', ')}]` : ''}`;

const describeProfile = (p: ProfileRecord) =>
  `  profile ${p.name}${p.configType ? ` (${p.configType})` : ''}: ${p.paths.join(' ')}${p.exclude.length ? ` excluding ${p.exclude.join(' ')}` : ''}, poll ${p.pollIntervalSec}s${
    (p.pathMappings ?? []).length ? `, map ${(p.pathMappings ?? []).map((m) => `${m.container}=${m.host}`).join(' ')}` : ''
  }${p.requireValidation ? ', requires validation' : ''}`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
