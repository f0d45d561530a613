import { describe, expect, it } from 'vitest';
import { parseFile } from '../parsers/registry.js';
import { DependencyGraph } from '../store/graph-queries.js';
import { analyzeChange } from './analyze-snapshot.js';
import { buildDependencyGraph } from './dependency-graph.js';

const composePath = '/opt/stacks/media/compose.yaml';
const sitePath = '/srv/swag/nginx/proxy-confs/sonarr.subdomain.conf';
const compose = (extra = '') => `services:\n  sonarr:\n    image: lscr.io/linuxserver/sonarr:4.0.9\n    container_name: sonarr\n${extra}`;
const site = (auth: boolean) =>
  `server {\n  listen 443 ssl;\n  server_name sonarr.*;\n  ${auth ? '' : '#'}include /config/nginx/authelia-server.conf;\n  location / {\n    ${auth ? '' : '#'}include /config/nginx/authelia-location.conf;\n    set $upstream_app sonarr;\n    set $upstream_port 8989;\n    proxy_pass http://$upstream_app:$upstream_port;\n  }\n}\n`;

/** The device's graph as the analysis service builds it from the latest parsed files. */
const graphWith = (auth: boolean) =>
  new DependencyGraph(
    buildDependencyGraph([
      { path: composePath, type: 'compose', parsed: parseFile('compose', Buffer.from(compose()), { path: composePath }).data },
      { path: sitePath, type: 'nginx', parsed: parseFile('nginx', Buffer.from(site(auth)), { path: sitePath }).data },
    ]),
  );

const publish = (extra: string, auth: boolean) =>
  analyzeChange({ type: 'compose', path: composePath, previousContent: Buffer.from(compose()), content: Buffer.from(compose(extra)), graph: graphWith(auth) }).impact;

describe('a compose change that opens an app the proxy guards with authentication', () => {
  it('is CRITICAL with the guarding host named when a port goes public or the network becomes the host', () => {
    const port = publish('    ports:\n      - "8989:8989"\n', true);
    expect(port.riskLevel).toBe('CRITICAL');
    expect(port.reasons[0]).toMatchObject({ rule: 'auth-bypassed-by-exposure', level: 'CRITICAL' });
    expect(port.reasons[0]!.detail).toContain('sonarr.*');
    expect(publish('    network_mode: host\n', true).reasons.map((r) => r.rule)).toContain('auth-bypassed-by-exposure');
  });

  it('is left to the port and downstream rules when no auth guards the app or the port is on loopback only', () => {
    const open = publish('    ports:\n      - "8989:8989"\n', false);
    expect(open.reasons.map((r) => r.rule)).toEqual(['port-all-interfaces', 'downstream-dependents']);
    const loopback = publish('    ports:\n      - "127.0.0.1:8989:8989"\n', true);
    expect(loopback.reasons.map((r) => r.rule)).toEqual(['port-changed', 'downstream-dependents']);
  });
});
