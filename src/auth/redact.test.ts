import { describe, expect, it } from 'vitest';
import { hideValues, REDACTED, isSecretName, redactLine, redactText, redactUnifiedDiff, redactValue, secretValues } from './redact.js';

describe('isSecretName', () => {
  it.each(['PASSWORD', 'MYSQL_ROOT_PASSWORD', 'db_passwd', 'SECRET_KEY', 'api_key', 'apikey', 'GITHUB_TOKEN', 'client_secret', 'key', 'ssh.key', 'private_key'])(
    'treats %s as secret',
    (name) => expect(isSecretName(name)).toBe(true),
  );
  it.each(['monkey', 'keyboard', 'image', 'ports', 'auth_basic_user_file', 'HOSTNAME', 'keys'])('leaves %s alone', (name) =>
    expect(isSecretName(name)).toBe(false),
  );
});

describe('redactText', () => {
  it('redacts secret assignments in .env, INI and compose styles, keeping the rest', () => {
    const input = [
      'DB_HOST=db',
      'DB_PASSWORD=hunter2',
      'export API_KEY="abc"',
      '[auth]',
      'secret = s3cr3t',
      'services:',
      '  app:',
      '    environment:',
      '      - POSTGRES_PASSWORD=pw',
      '      MYSQL_ROOT_PASSWORD: root',
      '      password:',
      '      TOKEN: # comment',
    ].join('\n');
    expect(redactText(input).split('\n')).toEqual([
      'DB_HOST=db',
      `DB_PASSWORD=${REDACTED}`,
      `export API_KEY=${REDACTED}`,
      '[auth]',
      `secret = ${REDACTED}`,
      'services:',
      '  app:',
      '    environment:',
      `      - POSTGRES_PASSWORD=${REDACTED}`,
      `      MYSQL_ROOT_PASSWORD: ${REDACTED}`,
      '      password:',
      '      TOKEN: # comment',
    ]);
  });

  it('redacts htpasswd entries (auth_basic_user_file contents)', () => {
    expect(redactText('alice:$apr1$abc$def\nbob:{SHA}xyz=\n# note')).toBe(`alice:${REDACTED}\nbob:${REDACTED}\n# note`);
  });

  it('redacts the body of a PEM private key and keeps its armour', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAABG5vbmUAAAAEbm9uZQ==\n-----END OPENSSH PRIVATE KEY-----\n';
    expect(redactText(pem)).toBe(`-----BEGIN OPENSSH PRIVATE KEY-----\n${REDACTED}\n${REDACTED}\n-----END OPENSSH PRIVATE KEY-----\n`);
  });

  it('redacts nginx directives that set a secret-named header, variable or parameter', () => {
    const input = [
      '    proxy_set_header Authorization "Basic dXNlcjpwYXNz";',
      '  set $api_token abc123; # for the backend',
      'fastcgi_param DB_PASSWORD hunter2;',
      'proxy_set_header Host $host;',
      'server_name app.example.com;',
    ].join('\n');
    expect(redactText(input).split('\n')).toEqual([
      `    proxy_set_header Authorization ${REDACTED};`,
      `  set $api_token ${REDACTED}; # for the backend`,
      `fastcgi_param DB_PASSWORD ${REDACTED};`,
      'proxy_set_header Host $host;',
      'server_name app.example.com;',
    ]);
  });

  it('keeps certificates and ordinary nginx lines', () => {
    const text = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\nssl_certificate_key /etc/ssl/key.pem;';
    expect(redactText(text)).toBe(text);
  });

});

describe('secretValues and hideValues', () => {
  it('finds the values the line rules hide and replaces them where a tool quotes them', () => {
    const values = secretValues(Buffer.from('server {\n  DB_PASSWORD=hunter2;\n  set $api_key "k3y-value";\n  listen 80;\n}\n'));
    expect(values).toEqual(expect.arrayContaining(['hunter2', 'k3y-value']));
    const output = 'nginx: [emerg] unknown directive "DB_PASSWORD=hunter2" in /etc/nginx/x.conf:2\nvalue "k3y-value" refused; listen 80 ok';
    expect(hideValues(output, values)).toBe(`nginx: [emerg] unknown directive "DB_PASSWORD=${REDACTED}" in /etc/nginx/x.conf:2\nvalue ${REDACTED} refused; listen 80 ok`);
  });

  it('reads Latin-1 bytes as redaction does and matches them as UTF-8-decoded output shows them', () => {
    const values = secretValues(Buffer.concat([Buffer.from('API_TOKEN=p'), Buffer.from([0xe4]), Buffer.from('ss\n')]));
    expect(hideValues('unknown directive "API_TOKEN=p\ufffdss"', values)).toBe(`unknown directive "API_TOKEN=${REDACTED}"`);
  });

  it('hides a short value only where it stands as a word', () => {
    const values = secretValues(Buffer.from('PASSWORD=ab\n'));
    expect(hideValues('tab "ab" cab', values)).toBe(`tab "${REDACTED}" cab`);
  });
});

describe('redactUnifiedDiff', () => {
  it('redacts changed and context lines after their marker and keeps the headers', () => {
    const diff = ['--- a/.env', '+++ b/.env', '@@ -1,2 +1,2 @@', ' HOST=x', '-DB_PASSWORD=old', '+DB_PASSWORD=new', ' KEY=k'].join('\n');
    expect(redactUnifiedDiff(diff).split('\n')).toEqual([
      '--- a/.env',
      '+++ b/.env',
      '@@ -1,2 +1,2 @@',
      ' HOST=x',
      `-DB_PASSWORD=${REDACTED}`,
      `+DB_PASSWORD=${REDACTED}`,
      ` KEY=${REDACTED}`,
    ]);
  });

  it('redacts a private key added in a diff', () => {
    const diff = ['@@ -0,0 +1,3 @@', '+-----BEGIN RSA PRIVATE KEY-----', '+MIIEowIBAAKCAQEA', '+-----END RSA PRIVATE KEY-----'].join('\n');
    expect(redactUnifiedDiff(diff)).not.toContain('MIIEowIBAAKCAQEA');
    expect(redactLine('plain')).toBe('plain');
  });
});

describe('redactValue', () => {
  it('redacts secret-named properties and KEY=value strings in parsed data without mutating it', () => {
    const parsed = { services: { db: { environment: { POSTGRES_PASSWORD: 'pw', POSTGRES_USER: 'u' }, command: ['--token=1'] } }, list: ['API_TOKEN=abc', 'MODE=x'] };
    const copy = structuredClone(parsed);
    expect(redactValue(parsed)).toEqual({
      services: { db: { environment: { POSTGRES_PASSWORD: REDACTED, POSTGRES_USER: 'u' }, command: ['--token=1'] } },
      list: [`API_TOKEN=${REDACTED}`, 'MODE=x'],
    });
    expect(parsed).toEqual(copy);
  });
});
