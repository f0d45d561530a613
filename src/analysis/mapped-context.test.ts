import { describe, expect, it } from 'vitest';
import { nginxParser } from '../parsers/nginx/nginx.parser.js';
import { buildDependencyGraph } from './dependency-graph.js';
import { composeMountMappings, mappedContext } from './mapped-context.js';

const compose = {
  services: {
    web: { image: 'nginx:1.27', volumes: ['./nginx:/etc/nginx:ro', '/srv/certs:/certs', 'data:/var/lib/x'] },
  },
};

describe('parsing through container paths', () => {
  it('takes the mappings from compose bind mounts', () => {
    expect(composeMountMappings('/opt/stacks/proxy/compose.yaml', compose)).toEqual([
      { container: '/etc/nginx', host: '/opt/stacks/proxy/nginx' },
      { container: '/certs', host: '/srv/certs' },
    ]);
  });

  it('follows an include of a container path to the host file, named by its host path', () => {
    const files = new Map([['/srv/swag/nginx/proxy.conf', Buffer.from('proxy_http_version 1.1;\n')]]);
    const context = mappedContext(
      { path: '/srv/swag/nginx/proxy-confs/a.conf', readFile: (p) => files.get(p), glob: () => [] },
      [{ container: '/config', host: '/srv/swag' }],
    );
    const result = nginxParser.parse(Buffer.from('server { location / { include /config/nginx/proxy.conf; } }\n'), context);
    expect(result.errors).toEqual([]);
    const payload = result.data?.payload as { config: { file: string }[] };
    expect(payload.config.map((c) => c.file)).toEqual(['/srv/swag/nginx/proxy-confs/a.conf', '/srv/swag/nginx/proxy.conf']);
  });

  it('links an nginx container conf to its snippets and certificates through the compose mounts', () => {
    const conf = '/opt/stacks/proxy/nginx/conf.d/app.conf';
    const parsed = nginxParser.parse(
      Buffer.from('server { listen 443 ssl; ssl_certificate /certs/app.pem; include /etc/nginx/snippets/tls.conf; root /etc/nginx/html; }\n'),
      { path: conf },
    ).data;
    const graph = buildDependencyGraph([
      { path: '/opt/stacks/proxy/compose.yaml', type: 'compose', parsed: { services: { web: { volumes: [{ type: 'bind', source: './nginx', target: '/etc/nginx' }, { type: 'bind', source: '/srv/certs', target: '/certs' }] } } } },
      { path: conf, type: 'nginx', parsed },
      { path: '/opt/stacks/proxy/nginx/snippets/tls.conf', type: 'nginx', parsed: null },
      { path: '/opt/stacks/proxy/nginx/html/index.html', type: 'generic', parsed: null },
    ]);
    const edges = graph.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`);
    expect(edges).toContain(`file:${conf} -includes-> file:/opt/stacks/proxy/nginx/snippets/tls.conf`);
    expect(edges).toContain(`file:${conf} -uses_file-> file:/srv/certs/app.pem`);
    expect(edges).toContain(`file:${conf} -serves-> file:/opt/stacks/proxy/nginx/html/index.html`);
  });
});
