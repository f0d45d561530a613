import { describe, expect, it } from 'vitest';
import { evaluateFile } from './evaluator.js';
import { applyFix } from './fixes.js';
import { BUILTIN_RULES } from './packs/index.js';
import { getParser } from '../parsers/registry.js';
import type { RuleConfigType } from './rule.js';

const outcome = (type: RuleConfigType, text: string, rule: string) =>
  evaluateFile(BUILTIN_RULES, type, '/etc/x', getParser(type).parse(Buffer.from(text), { path: '/etc/x' }).data).find((o) => o.rule === rule);
const fixOf = (id: string) => BUILTIN_RULES.find((r) => r.id === id)!.fix!;

describe('mechanical fixes', () => {
  it('sets an sshd keyword where it wins: first, before includes, and in Match blocks', () => {
    const text = 'Include /etc/ssh/sshd_config.d/*.conf\n# root\nPermitRootLogin yes\nMatch User backup\n  PermitRootLogin yes\n';
    const fixed = applyFix(fixOf('sshd.permit-root-login'), text)!;
    expect(fixed).toBe('PermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\n# root\nPermitRootLogin no\nMatch User backup\n  PermitRootLogin no\n');
    expect(outcome('sshd', text, 'sshd.permit-root-login')?.status).toBe('fail');
    expect(outcome('sshd', fixed, 'sshd.permit-root-login')?.status).toBe('pass');
    // an alias line is rewritten too
    expect(applyFix(fixOf('sshd.kbd-interactive'), 'ChallengeResponseAuthentication yes\n')).toBe('KbdInteractiveAuthentication no\n');
  });

  it('turns server_tokens off in the http block, and drops privileged from a compose service', () => {
    const nginx = 'events {}\nhttp {\n    server { listen 80; }\n}\n';
    const fixed = applyFix(fixOf('nginx.server-tokens'), nginx)!;
    expect(fixed).toBe('events {}\nhttp {\n    server_tokens off;\n    server { listen 80; }\n}\n');
    expect(outcome('nginx', fixed, 'nginx.server-tokens')?.status).toBe('pass');
    expect(applyFix(fixOf('nginx.server-tokens'), 'server { listen 80; }\n')).toBeNull();
    const compose = 'services:\n  app:\n    image: app:1\n    privileged: true\n';
    expect(applyFix(fixOf('compose.privileged'), compose)).toBe('services:\n  app:\n    image: app:1\n');
  });
});
