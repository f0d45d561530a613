/**
 * Reads Ansible inventories, INI and YAML: hosts with `ansible_host`,
 * `ansible_port`, `ansible_user`, `ansible_ssh_private_key_file` (and the
 * legacy `ansible_ssh_*` spellings), group variables inherited by members and
 * children, and groups (other than `all`/`ungrouped`) as tags. Any line that
 * cannot be understood stops the import with file and line: nothing is
 * half-imported.
 */
import { isMap, isScalar, LineCounter, parseDocument, type YAMLMap } from 'yaml';
import { ConfwatchError } from '../../errors.js';
import { slugify } from '../names.js';
import type { ImportedHost, ImportResult } from './imported-host.js';

type Vars = Record<string, string>;

interface Inventory {
  hosts: Map<string, { vars: Vars; groups: Set<string>; line: number }>;
  groups: Map<string, { vars: Vars; children: Set<string> }>;
}

const newInventory = (): Inventory => ({ hosts: new Map(), groups: new Map() });

function group(inv: Inventory, name: string) {
  let g = inv.groups.get(name);
  if (!g) {
    g = { vars: {}, children: new Set() };
    inv.groups.set(name, g);
  }
  return g;
}

function addHost(inv: Inventory, name: string, groupName: string, vars: Vars, line: number) {
  let h = inv.hosts.get(name);
  if (!h) {
    h = { vars: {}, groups: new Set(), line };
    inv.hosts.set(name, h);
  }
  Object.assign(h.vars, vars);
  h.groups.add(groupName);
  group(inv, groupName);
}

/** `web[01:03].example` → web01.example, web02.example, web03.example. */
function expandRange(pattern: string): string[] {
  const m = /^(.*)\[(\d+):(\d+)\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, pre, from = '', to = '', post] = m;
  const out: string[] = [];
  for (let i = Number(from); i <= Number(to) && out.length < 10_000; i++) out.push(`${pre}${String(i).padStart(from.length, '0')}${post}`);
  return out;
}

export function parseAnsibleIni(text: string, fileName: string): ImportResult {
  const inv = newInventory();
  let section = 'ungrouped';
  let kind: 'hosts' | 'vars' | 'children' = 'hosts';
  const fail = (line: number, message: string): never => {
    throw new ConfwatchError('CW_ERR_INPUT', `${fileName}:${line}: ${message}`);
  };
  text.split(/\r?\n/).forEach((rawLine, index) => {
    const line = index + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const header = /^\[([^\]\s:]+)(?::(vars|children))?\]$/.exec(trimmed);
    if (trimmed.startsWith('[')) {
      if (!header) fail(line, `malformed section header "${trimmed}"`);
      section = header![1] as string;
      kind = (header![2] as 'vars' | 'children' | undefined) ?? 'hosts';
      group(inv, section);
      return;
    }
    const tokens = tokenize(trimmed, () => fail(line, 'unterminated quote'));
    if (kind === 'vars') {
      const kv = /^([A-Za-z_][\w]*)\s*=\s*(.*)$/.exec(trimmed);
      if (!kv) fail(line, `expected "key=value" in [${section}:vars]`);
      group(inv, section).vars[kv![1] as string] = unquote(kv![2] as string);
      return;
    }
    if (kind === 'children') {
      if (tokens.length !== 1) fail(line, `expected one group name in [${section}:children]`);
      group(inv, section).children.add(tokens[0] as string);
      group(inv, tokens[0] as string);
      return;
    }
    const [hostPattern, ...rest] = tokens;
    if (!hostPattern || hostPattern.includes('=')) fail(line, 'expected a host name before variables');
    const vars: Vars = {};
    for (const token of rest) {
      const eq = token.indexOf('=');
      if (eq <= 0) fail(line, `expected key=value, got "${token}"`);
      vars[token.slice(0, eq)] = token.slice(eq + 1);
    }
    for (const name of expandRange(hostPattern as string)) addHost(inv, name, section, vars, line);
  });
  return toResult(inv, 'ansible-ini', fileName);
}

export function parseAnsibleYaml(text: string, fileName: string): ImportResult {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const lineOf = (node: { range?: [number, number, number] | null } | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 1;
  const fail = (line: number, message: string): never => {
    throw new ConfwatchError('CW_ERR_INPUT', `${fileName}:${line}: ${message}`);
  };
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    fail(e.linePos?.[0]?.line ?? 1, e.message.split('\n')[0] as string);
  }
  if (!isMap(doc.contents)) fail(1, 'an Ansible YAML inventory is a mapping of groups');
  const inv = newInventory();

  const readVars = (node: unknown, where: string): Vars => {
    if (node == null || (isScalar(node) && node.value == null)) return {};
    if (!isMap(node)) fail(lineOf(node as never), `${where} must be a mapping`);
    const vars: Vars = {};
    for (const pair of (node as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : fail(lineOf(pair.key as never), 'variable names must be scalars');
      if (isScalar(pair.value)) vars[key] = String(pair.value.value);
    }
    return vars;
  };

  const visitGroup = (name: string, node: unknown) => {
    const g = group(inv, name);
    if (node == null || (isScalar(node) && node.value == null)) return;
    if (!isMap(node)) fail(lineOf(node as never), `group "${name}" must be a mapping with hosts, vars or children`);
    for (const pair of (node as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (key === 'hosts') {
        const hosts = pair.value;
        if (hosts == null || (isScalar(hosts) && hosts.value == null)) continue;
        if (!isMap(hosts)) fail(lineOf(hosts as never), `hosts of "${name}" must be a mapping`);
        for (const h of (hosts as YAMLMap).items) {
          const hostName = isScalar(h.key) ? String(h.key.value) : fail(lineOf(h.key as never), 'host names must be scalars');
          for (const expanded of expandRange(hostName)) addHost(inv, expanded, name, readVars(h.value, `host "${hostName}"`), lineOf(h.key as never));
        }
      } else if (key === 'vars') {
        Object.assign(g.vars, readVars(pair.value, `vars of "${name}"`));
      } else if (key === 'children') {
        const children = pair.value;
        if (children == null || (isScalar(children) && children.value == null)) continue;
        if (!isMap(children)) fail(lineOf(children as never), `children of "${name}" must be a mapping`);
        for (const c of (children as YAMLMap).items) {
          const child = isScalar(c.key) ? String(c.key.value) : fail(lineOf(c.key as never), 'group names must be scalars');
          g.children.add(child);
          visitGroup(child, c.value);
        }
      } else {
        fail(lineOf(pair.key as never), `unexpected key "${key}" in group "${name}" (expected hosts, vars or children)`);
      }
    }
  };
  for (const pair of (doc.contents as YAMLMap).items) {
    visitGroup(isScalar(pair.key) ? String(pair.key.value) : fail(lineOf(pair.key as never), 'group names must be scalars'), pair.value);
  }
  return toResult(inv, 'ansible-yaml', fileName);
}

function toResult(inv: Inventory, format: ImportResult['format'], fileName: string): ImportResult {
  const warnings: string[] = [];
  // Parents of each group, to inherit variables (all < parent < child < host).
  const parents = new Map<string, string[]>();
  for (const [name, g] of inv.groups) for (const child of g.children) parents.set(child, [...(parents.get(child) ?? []), name]);
  const ancestry = (name: string, seen = new Set<string>()): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    return [...(parents.get(name) ?? []).flatMap((p) => ancestry(p, seen)), name];
  };
  const hosts: ImportedHost[] = [];
  for (const [alias, h] of inv.hosts) {
    const groups = new Set([...h.groups].flatMap((g) => ancestry(g)));
    const vars: Vars = { ...inv.groups.get('all')?.vars };
    for (const g of groups) Object.assign(vars, inv.groups.get(g)?.vars);
    Object.assign(vars, h.vars);
    const v = (...keys: string[]) => keys.map((k) => vars[k]).find((x) => x !== undefined);
    const port = v('ansible_port', 'ansible_ssh_port');
    if (port !== undefined && !/^\d{1,5}$/.test(port)) {
      throw new ConfwatchError('CW_ERR_INPUT', `${fileName}:${h.line}: ansible_port of "${alias}" must be a number, got "${port}"`);
    }
    const name = slugify(alias);
    if (!name) {
      warnings.push(`${fileName}:${h.line}: host "${alias}" has no usable name; skipped`);
      continue;
    }
    const user = v('ansible_user', 'ansible_ssh_user');
    const identity = v('ansible_ssh_private_key_file', 'ansible_private_key_file');
    hosts.push({
      name,
      host: v('ansible_host', 'ansible_ssh_host') ?? alias,
      ...(port ? { port: Number(port) } : {}),
      ...(user ? { user } : {}),
      ...(identity ? { identityFile: identity } : {}),
      tags: [...groups].filter((g) => g !== 'all' && g !== 'ungrouped').sort(),
      line: h.line,
    });
  }
  return { format, hosts, warnings };
}

function tokenize(text: string, onUnterminated: () => never): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | null = null;
  let started = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (ch === '#' && !started && current === '') {
      break;
    } else if (/\s/.test(ch)) {
      if (started) tokens.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
      started = true;
    }
  }
  if (quote) onUnterminated();
  if (started) tokens.push(current);
  return tokens;
}

const unquote = (s: string) => s.trim().replace(/^(["'])(.*)\1$/, '$2');
