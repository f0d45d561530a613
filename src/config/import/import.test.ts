import { describe, expect, it } from 'vitest';
import { parseAnsibleIni, parseAnsibleYaml } from './ansible-inventory.js';
import { parseImportFile } from './read-import-file.js';
import { parseSshConfig } from './ssh-config.js';

describe('ssh config import', () => {
  it('reads hosts with first-value-wins and trailing Host * defaults', () => {
    const text = [
      '# my hosts',
      'Host proxy',
      '  HostName 10.0.0.5',
      '  Port 2222',
      '  User admin',
      '  IdentityFile ~/.ssh/id_proxy',
      'Host Web.Example',
      '  HostName web.lan',
      '  ProxyJump proxy',
      'Host *.lan *',
      '  User root',
      '  Port 22',
    ].join('\n');
    const { hosts, warnings } = parseSshConfig(text, 'cfg');
    expect(warnings).toEqual([]);
    expect(hosts).toEqual([
      { name: 'proxy', host: '10.0.0.5', port: 2222, user: 'admin', identityFile: '~/.ssh/id_proxy', tags: [], line: 2 },
      { name: 'web.example', host: 'web.lan', port: 22, user: 'root', jump: 'proxy', tags: [], line: 7 },
    ]);
  });

  it('skips Match blocks with a warning and rejects a bad port with the line', () => {
    expect(parseSshConfig('Match user x\n  User y\nHost a\n  HostName b\n', 'c').warnings[0]).toMatch(/c:1: Match/);
    expect(() => parseSshConfig('Host a\n  Port abc\n', 'cfg')).toThrow(/cfg:2: Port must be a number/);
    expect(() => parseSshConfig('Host a\n  HostName "b\n', 'cfg')).toThrow(/cfg:2: unterminated quote/);
  });
});

describe('Ansible inventory import', () => {
  it('reads INI hosts, group vars, children and ranges; groups become tags', () => {
    const text = [
      '[web]',
      'web[01:02] ansible_user=deploy',
      'proxy ansible_host=10.0.0.1 ansible_port=2200',
      '',
      '[web:vars]',
      'ansible_ssh_private_key_file=/keys/web',
      '',
      '[prod:children]',
      'web',
    ].join('\n');
    const { hosts } = parseAnsibleIni(text, 'inv');
    expect(hosts.map((h) => [h.name, h.host, h.port, h.user, h.identityFile, h.tags])).toEqual([
      ['web01', 'web01', undefined, 'deploy', '/keys/web', ['prod', 'web']],
      ['web02', 'web02', undefined, 'deploy', '/keys/web', ['prod', 'web']],
      ['proxy', '10.0.0.1', 2200, undefined, '/keys/web', ['prod', 'web']],
    ]);
  });

  it('names file and line for a malformed INI line', () => {
    expect(() => parseAnsibleIni('[web]\nhost1 ansible_user\n', 'hosts.ini')).toThrow(/hosts.ini:2: expected key=value/);
    expect(() => parseAnsibleIni('[web\nhost1\n', 'hosts.ini')).toThrow(/hosts.ini:1: malformed section header/);
    expect(() => parseAnsibleIni('[web]\nh ansible_port=x\n', 'i')).toThrow(/i:2: ansible_port of "h" must be a number/);
  });

  it('reads YAML inventories with nested children and vars', () => {
    const text = [
      'all:',
      '  vars:',
      '    ansible_user: root',
      '  children:',
      '    nas:',
      '      hosts:',
      '        nas1:',
      '          ansible_host: 192.168.1.10',
      '          ansible_port: 2222',
      '    docker:',
      '      hosts:',
      '        dock1:',
      '      vars:',
      '        ansible_user: ops',
    ].join('\n');
    const { hosts, format } = parseAnsibleYaml(text, 'inv.yml');
    expect(format).toBe('ansible-yaml');
    expect(hosts).toEqual([
      { name: 'nas1', host: '192.168.1.10', port: 2222, user: 'root', tags: ['nas'], line: 7 },
      { name: 'dock1', host: 'dock1', user: 'ops', tags: ['docker'], line: 12 },
    ]);
  });

  it('names file and line for malformed YAML inventories', () => {
    expect(() => parseAnsibleYaml('all:\n  hosts: [a, b]\n', 'inv.yml')).toThrow(/inv.yml:2: hosts of "all" must be a mapping/);
    expect(() => parseAnsibleYaml('all:\n  hostz: {}\n', 'inv.yml')).toThrow(/inv.yml:2: unexpected key "hostz"/);
    expect(() => parseAnsibleYaml('all:\n  hosts:\n    a: [\n', 'inv.yml')).toThrow(/inv.yml:\d+:/);
  });

  it('detects the format from the content', () => {
    expect(parseImportFile('[g]\nh1\n', 'hosts').format).toBe('ansible-ini');
    expect(parseImportFile('all:\n  hosts:\n    h1:\n', 'inventory').format).toBe('ansible-yaml');
    expect(parseImportFile('Host a\n  HostName b\n', 'config').format).toBe('ssh-config');
  });
});
