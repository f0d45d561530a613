/** Typed changes between two versions of a systemd unit (drop-ins already merged by the parser). */
import { type Change, change } from '../change.js';
import { asRecord, asStrings, asText, jsonEqual } from '../loose-data.js';
import { changedKeys, setDiff } from '../set-diff.js';

/** The settings the dedicated change kinds cover; anything else is `setting.changed`. */
const COVERED = new Set(['Service.ExecStart', 'Service.User', 'Service.Group', 'Service.Environment', 'Service.EnvironmentFile']);

export function systemdDiff(oldData: unknown, newData: unknown, unitName?: string): Change[] {
  const a = asRecord(oldData);
  const b = asRecord(newData);
  const service = asText(b.name) ?? asText(a.name) ?? unitName;
  const out: Change[] = [];
  const execBefore = asStrings(a.execStart);
  const execAfter = asStrings(b.execStart);
  if (!jsonEqual(execBefore, execAfter)) out.push(change('exec.changed', { from: execBefore, to: execAfter }, service));
  for (const key of ['user', 'group'] as const) {
    const from = asText(a[key]) ?? null;
    const to = asText(b[key]) ?? null;
    if (from !== to) out.push(change(`${key}.changed`, { from, to }, service));
  }
  const depsBefore = asRecord(a.dependencies);
  const depsAfter = asRecord(b.dependencies);
  for (const key of [...new Set([...Object.keys(depsBefore), ...Object.keys(depsAfter)])].sort()) {
    const d = setDiff(asStrings(depsBefore[key]), asStrings(depsAfter[key]));
    if (d.added.length || d.removed.length) out.push(change('dependency.changed', { key, ...d }, service));
  }
  const envFiles = setDiff(asStrings(a.environmentFiles), asStrings(b.environmentFiles));
  if (envFiles.added.length || envFiles.removed.length) out.push(change('environment_file.changed', envFiles, service));
  const envBefore = asRecord(a.environment) as Record<string, unknown>;
  const envAfter = asRecord(b.environment) as Record<string, unknown>;
  for (const { key, change: how } of changedKeys(envBefore, envAfter)) out.push(change('env.changed', { key, change: how }, service));
  for (const setting of otherSettings(asRecord(a.sections), asRecord(b.sections))) {
    const key = setting.key.slice(setting.key.indexOf('.') + 1);
    if (setting.key.startsWith('Service.') && HARDENING.has(key)) out.push(hardeningChange(key, asRecord(a.sections), asRecord(b.sections), service));
    else out.push(change('setting.changed', setting, service));
  }
  return out;
}

/** systemd reads `yes`/`true`/`on` and `no`/`false`/`off` alike (systemd.syntax(7)); other values as written. */
export function spelledAlike(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(spelledAlike);
  if (typeof value !== 'string') return value;
  if (/^(yes|true|on)$/i.test(value)) return 'yes';
  return /^(no|false|off)$/i.test(value) ? 'no' : value;
}

/** Sandboxing settings of `[Service]` whose values say how much a compromised service can reach (systemd.exec(5)). */
const HARDENING = new Set([
  'NoNewPrivileges', 'PrivateTmp', 'PrivateDevices', 'PrivateNetwork', 'PrivateUsers', 'ProtectSystem', 'ProtectHome',
  'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectControlGroups', 'ProtectClock', 'ProtectHostname',
  'RestrictRealtime', 'RestrictSUIDSGID', 'RestrictNamespaces', 'LockPersonality', 'MemoryDenyWriteExecute', 'DynamicUser', 'RemoveIPC',
  'ProtectProc', 'CapabilityBoundingSet', 'AmbientCapabilities', 'SystemCallFilter', 'RestrictAddressFamilies', 'ReadWritePaths',
]);
/** Settings that grant more as they list more (unless written as a `~` deny list); the others protect more as their value rises. */
const GRANTING = new Set(['AmbientCapabilities', 'CapabilityBoundingSet', 'ReadWritePaths']);
const LISTS = new Set(['SystemCallFilter', 'RestrictAddressFamilies']);
const STRENGTH: Record<string, number> = { no: 0, false: 0, off: 0, '0': 0, default: 0, full: 2, strict: 3 };

/** How strongly a value protects: 0 for unset or off; ProtectSystem's `strict` above `full` above `yes`. */
const strength = (key: string, value: string | null): number => {
  if (value === null || value === '') return 0;
  if (LISTS.has(key)) return 1;
  return key === 'ProtectHome' && value === 'yes' ? 2 : (STRENGTH[value.toLowerCase()] ?? 1);
};

/** A sandboxing setting's change; its values are shown, as they hold no secrets. */
function hardeningChange(key: string, a: Record<string, unknown>, b: Record<string, unknown>, service: string | undefined): Change {
  const value = (sections: Record<string, unknown>) => {
    const values = asStrings(asRecord(sections.Service)[key]);
    return values.length ? values.join(' ') : null;
  };
  const from = value(a);
  const to = value(b);
  const items = (v: string | null) => (v ?? '').split(/\s+/).filter(Boolean);
  const granting = GRANTING.has(key) && !from?.startsWith('~') && !to?.startsWith('~');
  const weakened = granting ? setDiff(items(from), items(to)).added.length > 0 || (from !== null && to === null && key === 'CapabilityBoundingSet') : strength(key, to) < strength(key, from);
  return change('hardening.changed', { key, from, to, weakened }, service);
}

/** Settings outside the dedicated kinds whose values changed, as `Section.Key` (values left out: they may hold secrets). */
function otherSettings(a: Record<string, unknown>, b: Record<string, unknown>): { key: string; change: string }[] {
  const flat = (sections: Record<string, unknown>) => {
    const out: Record<string, unknown> = {};
    for (const [section, keys] of Object.entries(sections)) {
      for (const [key, values] of Object.entries(asRecord(keys))) out[`${section}.${key}`] = values;
    }
    return out;
  };
  const depKey = /^(Unit|Install)\.(Requires|Wants|BindsTo|PartOf|Requisite|After|Before|Conflicts|WantedBy|RequiredBy)$/;
  return changedKeys(flat(a), flat(b), (x, y) => jsonEqual(spelledAlike(x), spelledAlike(y))).filter(({ key }) => !COVERED.has(key) && !depKey.test(key));
}
