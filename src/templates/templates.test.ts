import { describe, expect, it } from 'vitest';
import { ConfwatchError } from '../errors.js';
import { getParser } from '../parsers/registry.js';
import { BUILTIN_TEMPLATES, builtinTemplate } from './builtins.js';
import { MAX_OUTPUT_CHARS, renderSandboxed } from './liquid-sandbox.js';
import { runTemplateTask } from './render-task.js';
import { compileVariablesSchema, mergeVariables, plainCopy, variableErrors } from './variables.js';

describe('template variables', () => {
  it('merges --var pairs over the file, typing JSON values and nesting dotted names', () => {
    expect(mergeVariables({ a: 1, up: { host: 'x' } }, ['port=8080', 'name=web', 'up.port=80', 'tags=["a","b"]', 'on=true', 'text=8080x'])).toEqual({
      a: 1,
      up: { host: 'x', port: 80 },
      port: 8080,
      name: 'web',
      tags: ['a', 'b'],
      on: true,
      text: '8080x',
    });
  });

  it('refuses malformed pairs and names that reach prototypes', () => {
    expect(() => mergeVariables({}, ['novalue'])).toThrow(/is not NAME=VALUE/);
    expect(() => mergeVariables({}, ['a.__proto__.x=1'])).toThrow(/"__proto__" cannot be a variable name/);
    expect(() => mergeVariables({}, ['constructor=1'])).toThrow(ConfwatchError);
    expect(() => plainCopy(JSON.parse('{"x":{"__proto__":{"p":1}}}'), 'vars')).toThrow(/variable "__proto__" cannot be used/);
    expect(() => plainCopy({ f: () => 1 }, 'vars')).toThrow(/not JSON data/);
    expect(() => mergeVariables({}, ['x={"constructor":{"prototype":1}}'])).toThrow(/"constructor" cannot be used/);
  });

  it('names the variable in every schema error', () => {
    const compiled = compileVariablesSchema(builtinTemplate('swag-subdomain')!.schema);
    if ('error' in compiled) throw new Error(compiled.error);
    const errors = variableErrors(compiled.validate, { name: 'Bad Name', upstream_port: 70000, auth: 'ldap', extra: 1 });
    expect(errors).toEqual(
      expect.arrayContaining([
        'variable "upstream_app" is required',
        'variable "extra" is not declared by the template\'s schema',
        expect.stringMatching(/^variable "name" must match pattern/),
        'variable "upstream_port" must be <= 65535',
        'variable "auth" must be one of: none, authelia, authentik, tinyauth, basic',
      ]),
    );
    const nested = compileVariablesSchema({ type: 'object', properties: { up: { type: 'object', properties: { ports: { type: 'array', items: { type: 'integer' } } } } } });
    if ('error' in nested) throw new Error(nested.error);
    expect(variableErrors(nested.validate, { up: { ports: [1, 'x'] } })).toEqual(['variable "up.ports[1]" must be integer']);
    expect(compileVariablesSchema({ type: 'nonsense' })).toMatchObject({ error: expect.stringMatching(/not a valid JSON Schema/) });
    expect(compileVariablesSchema([1])).toMatchObject({ error: expect.stringMatching(/must be a JSON object/) });
  });
});

describe('liquid sandbox', () => {
  it('treats variable values as data: Liquid in a value is printed, not run', () => {
    expect(renderSandboxed('{{ v }}', { v: '{{ 6 | times: 7 }}{% include "x" %}' })).toEqual({ ok: true, content: '{{ 6 | times: 7 }}{% include "x" %}' });
  });

  it('refuses undefined variables and filters with their names', () => {
    expect(renderSandboxed('{{ nope }}', {})).toMatchObject({ ok: false, kind: 'render', message: expect.stringContaining('undefined variable: nope') });
    expect(renderSandboxed('{{ 1 | shell }}', {})).toMatchObject({ ok: false, kind: 'syntax', message: expect.stringContaining('undefined filter: shell') });
  });

  it('caps the output while it is written', () => {
    const out = renderSandboxed('{% for i in (1..2000) %}{{ k }}{% endfor %}', { k: 'x'.repeat(1024) });
    expect(out).toMatchObject({ ok: false, kind: 'limit', message: `the rendered output is larger than ${MAX_OUTPUT_CHARS} characters` });
  });
});

describe('built-in templates', () => {
  const examples: Record<string, Record<string, unknown>> = {
    'swag-subdomain': { name: 'grafana', upstream_app: 'grafana', upstream_port: 3000 },
    'compose-service': { service: 'web', image: 'nginx:1.27', ports: ['127.0.0.1:8080:80'], volumes: ['./html:/usr/share/nginx/html:ro'], environment: { TZ: 'Etc/UTC', WORKERS: 2 } },
    'systemd-hardened': { description: 'Example app', exec_start: '/usr/local/bin/app --port 8080', read_write_paths: ['/var/lib/app'], environment: { MODE: 'prod' } },
  };

  for (const template of BUILTIN_TEMPLATES) {
    it(`${template.name} renders a ${template.configType} file its parser accepts`, () => {
      const result = runTemplateTask({ kind: 'template', body: template.body, type: template.configType, schema: template.schema, variables: examples[template.name]! });
      expect(result.ok && result.errors, JSON.stringify(result)).toEqual([]);
      if (!result.ok) return;
      expect(result.valid).toBe(true);
      const parsed = getParser(template.configType).parse(Buffer.from(result.content));
      expect(parsed.errors).toEqual([]);
    });
  }

  it('swag-subdomain renders each auth mode with its includes in both blocks', () => {
    const swag = builtinTemplate('swag-subdomain')!;
    for (const auth of ['none', 'authelia', 'authentik', 'tinyauth', 'basic']) {
      const result = runTemplateTask({ kind: 'template', body: swag.body, type: 'nginx', schema: swag.schema, variables: { name: 'app', upstream_app: 'app', upstream_port: 80, upstream_proto: 'https', auth } });
      if (!result.ok) throw new Error(result.message);
      expect(result.valid, auth).toBe(true);
      expect(result.content).toContain('set $upstream_proto https;');
      if (auth === 'basic') expect(result.content).toContain('auth_basic_user_file /config/nginx/.htpasswd;');
      else if (auth !== 'none') {
        expect(result.content).toContain(`include /config/nginx/${auth}-server.conf;`);
        expect(result.content).toContain(`include /config/nginx/${auth}-location.conf;`);
      } else expect(result.content).not.toMatch(/auth/);
    }
  });

  it('keeps values that would end a directive out of the rendered file', () => {
    const swag = builtinTemplate('swag-subdomain')!;
    const hostile = runTemplateTask({ kind: 'template', body: swag.body, type: 'nginx', schema: swag.schema, variables: { name: 'app', upstream_app: 'app; include /etc/shadow', upstream_port: 80 } });
    expect(hostile).toMatchObject({ ok: false, kind: 'variables', errors: [expect.stringMatching(/^variable "upstream_app" must match pattern/)] });
    const unit = builtinTemplate('systemd-hardened')!;
    const injected = runTemplateTask({ kind: 'template', body: unit.body, type: 'systemd', schema: unit.schema, variables: { description: 'x\nExecStartPre=/bin/sh', exec_start: '/bin/true' } });
    expect(injected).toMatchObject({ ok: false, kind: 'variables', errors: [expect.stringMatching(/^variable "description" must match pattern/)] });
  });
});
