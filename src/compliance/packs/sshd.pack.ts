/**
 * sshd rules, judged on the effective configuration (views.ts: includes
 * expanded, first value wins, OpenSSH defaults filled in, and every
 * `Match` block's value checked too). Values are as `sshd -T` prints them.
 */
import type { ComplianceRule, RuleSource, Severity } from '../rule.js';

const LYNIS = 'https://github.com/CISOfy/lynis/blob/master/include/tests_ssh';
const DEVSEC = 'https://github.com/dev-sec/ssh-baseline/blob/master/controls/sshd_spec.rb';
const lynis = (what: string): RuleSource => ({ ref: `Lynis SSH-7408 (${what})`, url: LYNIS });
const devsec = (what: string): RuleSource => ({ ref: `dev-sec ssh-baseline (${what})`, url: DEVSEC });

/** Where the main file sets a keyword; 0 (no line) when it is a default or set in an include. */
const lineOf = (key: string): string => `'${key}' in lines ? lines.${key} : 0`;

/** Every value the keyword takes (global and per Match block) must be one of `allowed`. */
function oneOf(
  id: string,
  keyword: string,
  allowed: readonly string[],
  severity: Severity,
  source: RuleSource,
  remediation: string,
  fix?: string,
): ComplianceRule {
  const key = keyword.toLowerCase();
  const list = allowed.map((a) => `'${a}'`).join(', ');
  return {
    id: `sshd.${id}`,
    title: `${keyword} is ${allowed.join(' or ')}`,
    severity,
    configType: 'sshd',
    check: `values.${key}.filter(v, !(v in [${list}])).map(v, '${keyword} is ' + v)`,
    line: lineOf(key),
    remediation,
    source,
    ...(fix ? { fix: { kind: 'sshd-set', keyword, value: fix } } : {}),
  };
}

/** Every value must be a number within `max`. */
function atMost(id: string, keyword: string, max: number, severity: Severity, source: RuleSource, remediation: string, min = 0): ComplianceRule {
  const key = keyword.toLowerCase();
  return {
    id: `sshd.${id}`,
    title: min > 0 ? `${keyword} is between ${min} and ${max}` : `${keyword} is at most ${max}`,
    severity,
    configType: 'sshd',
    check: `values.${key}.filter(v, !v.matches('^[0-9]+$') || int(v) > ${max} || int(v) < ${min}).map(v, '${keyword} is ' + v)`,
    line: lineOf(key),
    remediation,
    source,
    fix: { kind: 'sshd-set', keyword, value: String(max) },
  };
}

/** Algorithms of a list keyword that match a weak pattern. */
function noWeak(id: string, keyword: string, weak: string, severity: Severity, remediation: string): ComplianceRule {
  const key = keyword.toLowerCase();
  return {
    id: `sshd.${id}`,
    title: `${keyword} offers no weak algorithm`,
    severity,
    configType: 'sshd',
    check: `values.${key}.map(v, v.split(',').filter(a, a.matches('${weak}'))).filter(w, size(w) > 0).map(w, '${keyword} offers ' + w.join(','))`,
    line: lineOf(key),
    remediation,
    source: devsec(keyword),
  };
}

export const SSHD_PACK: readonly ComplianceRule[] = [
  oneOf('permit-root-login', 'PermitRootLogin', ['no'], 'high', lynis('PermitRootLogin'), 'Set `PermitRootLogin no` and log in as a user who escalates with sudo.', 'no'),
  oneOf('password-authentication', 'PasswordAuthentication', ['no'], 'high', devsec('PasswordAuthentication'), 'Set `PasswordAuthentication no` and use keys.', 'no'),
  oneOf('permit-empty-passwords', 'PermitEmptyPasswords', ['no'], 'critical', devsec('PermitEmptyPasswords'), 'Set `PermitEmptyPasswords no`.', 'no'),
  oneOf(
    'kbd-interactive',
    'KbdInteractiveAuthentication',
    ['no'],
    'medium',
    devsec('KbdInteractiveAuthentication / ChallengeResponseAuthentication'),
    'Set `KbdInteractiveAuthentication no` (older releases: `ChallengeResponseAuthentication no`).',
    'no',
  ),
  atMost('max-auth-tries', 'MaxAuthTries', 3, 'medium', lynis('MaxAuthTries'), 'Set `MaxAuthTries 3` or lower.'),
  atMost('max-sessions', 'MaxSessions', 4, 'low', lynis('MaxSessions'), 'Set `MaxSessions` to 4 or lower.'),
  atMost('login-grace-time', 'LoginGraceTime', 60, 'low', lynis('LoginGraceTime'), 'Set `LoginGraceTime 60` or lower (0 means no limit).', 1),
  oneOf('x11-forwarding', 'X11Forwarding', ['no'], 'medium', lynis('X11Forwarding'), 'Set `X11Forwarding no`.', 'no'),
  oneOf('agent-forwarding', 'AllowAgentForwarding', ['no'], 'low', lynis('AllowAgentForwarding'), 'Set `AllowAgentForwarding no` unless users need it.', 'no'),
  oneOf(
    'tcp-forwarding',
    'AllowTcpForwarding',
    ['no'],
    'low',
    lynis('AllowTcpForwarding'),
    'Set `AllowTcpForwarding no` unless tunnels are needed; a warning, as many setups rely on it.',
    'no',
  ),
  oneOf('permit-user-environment', 'PermitUserEnvironment', ['no'], 'medium', lynis('PermitUserEnvironment'), 'Set `PermitUserEnvironment no`.', 'no'),
  oneOf('hostbased-authentication', 'HostbasedAuthentication', ['no'], 'medium', devsec('HostbasedAuthentication'), 'Set `HostbasedAuthentication no`.', 'no'),
  oneOf('ignore-rhosts', 'IgnoreRhosts', ['yes'], 'medium', lynis('IgnoreRhosts'), 'Set `IgnoreRhosts yes`.', 'yes'),
  oneOf('strict-modes', 'StrictModes', ['yes'], 'medium', lynis('StrictModes'), 'Set `StrictModes yes`.', 'yes'),
  oneOf('log-level', 'LogLevel', ['INFO', 'VERBOSE'], 'low', lynis('LogLevel'), 'Set `LogLevel VERBOSE` (or INFO) so logins and key fingerprints are logged.', 'VERBOSE'),
  {
    id: 'sshd.client-alive',
    title: 'Idle sessions are closed (ClientAliveInterval 1–300, ClientAliveCountMax ≤ 3)',
    severity: 'low',
    configType: 'sshd',
    check: `(values.clientaliveinterval.filter(v, int(v) == 0 || int(v) > 300).map(v, 'ClientAliveInterval is ' + v)) + (values.clientalivecountmax.filter(v, int(v) > 3).map(v, 'ClientAliveCountMax is ' + v))`,
    line: lineOf('clientaliveinterval'),
    remediation: 'Set `ClientAliveInterval 300` and `ClientAliveCountMax 2` (or lower).',
    source: lynis('ClientAliveInterval, ClientAliveCountMax'),
    fix: { kind: 'sshd-set', keyword: 'ClientAliveInterval', value: '300' },
  },
  noWeak('weak-ciphers', 'Ciphers', '(-cbc$|^arcfour|^3des|^blowfish|^cast128|^rijndael)', 'high', 'List only AEAD or CTR ciphers, e.g. `Ciphers chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr`.'),
  noWeak('weak-macs', 'MACs', '(md5|sha1|umac-64|ripemd)', 'medium', 'List only SHA-2 encrypt-then-MAC algorithms, e.g. `MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com`.'),
  noWeak(
    'weak-kex',
    'KexAlgorithms',
    '(sha1$|group1-|group14-sha1|group-exchange-sha1|nistp)',
    'medium',
    'List only modern key exchanges, e.g. `KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,diffie-hellman-group16-sha512`.',
  ),
  {
    id: 'sshd.allow-users-groups',
    title: 'Logins are limited with AllowUsers or AllowGroups',
    severity: 'low',
    configType: 'sshd',
    check: `'allowusers' in sshd || 'allowgroups' in sshd`,
    remediation: 'Add `AllowGroups` (or `AllowUsers`) naming who may log in over SSH.',
    source: devsec('AllowUsers / AllowGroups'),
  },
];
