/**
 * nginx and SWAG rules over the nginx view (views.ts): `main` files (those
 * with an `http` block) for server-wide settings, every server and
 * location (includes expanded) for the rest.
 */
import type { ComplianceRule, RuleSource } from '../rule.js';

const CIS: RuleSource['url'] = 'https://www.cisecurity.org/benchmark/nginx';
const cis = (item: string): RuleSource => ({ ref: `CIS NGINX Benchmark ${item}`, url: CIS });
const gixy = (plugin: string, page: string): RuleSource => ({ ref: `gixy ${plugin}`, url: `https://github.com/yandex/gixy/blob/master/docs/en/plugins/${page}.md` });

/** Variables a client controls. */
const CLIENT_VARS = `'\\\\$(arg_|http_|cookie_|request_uri|uri|document_uri|host|args|query_string|[0-9])'`;

export const NGINX_PACK: readonly ComplianceRule[] = [
  {
    id: 'nginx.server-tokens',
    title: 'server_tokens is off',
    severity: 'low',
    configType: 'nginx',
    when: 'main',
    check: `'server_tokens' in http && http.server_tokens == 'off'`,
    remediation: 'Add `server_tokens off;` to the http block so responses do not name the nginx version.',
    source: cis('2.5.1 (server_tokens off)'),
    fix: { kind: 'nginx-set', directive: 'server_tokens', value: 'off' },
  },
  {
    id: 'nginx.tls-protocols',
    title: 'Only TLS 1.2 and 1.3 are enabled',
    severity: 'high',
    configType: 'nginx',
    check: `statements.filter(s, s.name == 'ssl_protocols' && s.args.exists(a, a in ['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1'])).map(s, {'line': s.line, 'message': 'ssl_protocols ' + s.value})`,
    remediation: 'Set `ssl_protocols TLSv1.2 TLSv1.3;`.',
    source: cis('4.1.4 (only modern TLS protocols)'),
  },
  {
    id: 'nginx.tls-ciphers',
    title: 'No weak TLS ciphers are allowed',
    severity: 'high',
    configType: 'nginx',
    check: `statements.filter(s, s.name == 'ssl_ciphers' && s.value.split(':').exists(c, c.matches('^(RC4|DES|3DES|MD5|NULL|EXPORT|EXP|aNULL|eNULL|LOW)') || c.matches('(RC4|-DES-|DES-CBC3|NULL|EXPORT)'))).map(s, {'line': s.line, 'message': 'ssl_ciphers allows weak ciphers: ' + s.value})`,
    remediation: 'Use a modern cipher list, e.g. Mozilla’s intermediate profile, with no RC4, DES, 3DES, MD5, NULL or EXPORT suites.',
    source: cis('4.1.5 (disable weak ciphers)'),
  },
  {
    id: 'nginx.https-redirect',
    title: 'Plain HTTP servers redirect to HTTPS',
    severity: 'medium',
    configType: 'nginx',
    check: `servers.filter(s, s.plain && !s.ssl && !s.defaultServer && !s.returns.matches('^30[1278] https://')).map(s, {'line': s.line, 'message': 'server ' + (size(s.names) > 0 ? s.names[0] : '(unnamed)') + ' serves plain HTTP without redirecting to HTTPS'})`,
    remediation: 'In each `listen 80` server, `return 301 https://$host$request_uri;`.',
    source: cis('4.1.1 (HTTP redirected to HTTPS)'),
  },
  {
    id: 'nginx.default-server-rejects',
    title: 'The default server rejects unknown host names',
    severity: 'medium',
    configType: 'nginx',
    when: 'servers.exists(s, s.defaultServer)',
    check: `servers.filter(s, s.defaultServer && !s.returns.matches('^(4[0-9][0-9]|444)') && !(s.ssl && s.rejectsHandshake) && !s.returns.matches('^30[1278] https://')).map(s, {'line': s.line, 'message': 'default server answers requests for unknown host names'})`,
    remediation: 'Let the default server `return 444;` (and `ssl_reject_handshake on;` for TLS) so unknown Host headers get nothing.',
    source: cis('2.4.2 (requests for unknown host names rejected)'),
  },
  {
    id: 'nginx.add-header-dropped',
    title: 'add_header in a nested block does not drop the headers set above it',
    severity: 'medium',
    configType: 'nginx',
    check: `locations.filter(l, l.dropsParentHeaders).map(l, {'line': l.line, 'message': 'location ' + l.path + ' sets add_header, so the headers of its server or http block are dropped there'})`,
    remediation: 'Repeat the outer security headers in the location (or include one snippet with all of them at every level).',
    source: gixy('add_header_redefinition', 'addheaderredefinition'),
  },
  {
    id: 'nginx.alias-traversal',
    title: 'No alias path traversal',
    severity: 'high',
    configType: 'nginx',
    check: `locations.filter(l, l.alias != '' && !l.path.endsWith('/') && l.alias.endsWith('/')).map(l, {'line': l.line, 'message': 'location ' + l.path + ' aliases ' + l.alias + ': "' + l.path + '../" reaches its parent directory'})`,
    remediation: 'End the location with a slash as well (`location /x/ { alias /y/; }`).',
    source: gixy('alias_traversal', 'aliastraversal'),
  },
  {
    id: 'nginx.proxy-pass-ssrf',
    title: 'proxy_pass does not take its host from the request',
    severity: 'high',
    configType: 'nginx',
    check: `locations.filter(l, l.proxyPass.matches('^[a-z$_]*://[^/]*' + ${CLIENT_VARS})).map(l, {'line': l.line, 'message': 'location ' + l.path + ' proxies to ' + l.proxyPass + ', a host the client chooses'})`,
    remediation: 'Proxy to a fixed upstream, or to variables set in the config (as SWAG’s $upstream_app), never to request variables.',
    source: gixy('ssrf', 'ssrf'),
  },
  {
    id: 'nginx.header-splitting',
    title: 'No header splitting through $uri or $document_uri',
    severity: 'high',
    configType: 'nginx',
    check: `statements.filter(s, s.name in ['add_header', 'proxy_set_header', 'return', 'rewrite'] && s.value.matches('\\\\$(uri|document_uri)\\\\b')).map(s, {'line': s.line, 'message': s.name + ' uses a decoded URI variable: ' + s.value})`,
    remediation: 'Use `$request_uri` (still encoded) instead of `$uri` or `$document_uri` in headers and redirects.',
    source: gixy('http_splitting', 'httpsplitting'),
  },
  {
    id: 'nginx.host-spoofing',
    title: 'The Host header sent upstream is not $http_host',
    severity: 'medium',
    configType: 'nginx',
    check: `statements.filter(s, s.name == 'proxy_set_header' && size(s.args) > 1 && s.args[0].lowerAscii() == 'host' && s.args[1] == '$http_host').map(s, {'line': s.line, 'message': 'proxy_set_header Host $http_host passes a client-chosen host upstream'})`,
    remediation: 'Use `proxy_set_header Host $host;`.',
    source: gixy('host_spoofing', 'hostspoofing'),
  },
  {
    id: 'nginx.status-page-open',
    title: 'Status pages are restricted',
    severity: 'medium',
    configType: 'nginx',
    check: `locations.filter(l, l.stubStatus && !l.auth && !l.denies.exists(d, d == 'all')).map(l, {'line': l.line, 'message': 'location ' + l.path + ' serves the status page to anyone'})`,
    remediation: 'Add `allow 127.0.0.1; deny all;` (or authentication) to the status location.',
    source: cis('5.1.1 (allow and deny filters limit access)'),
  },
  {
    id: 'nginx.allow-without-deny',
    title: 'allow is followed by deny all',
    severity: 'medium',
    configType: 'nginx',
    check: `locations.filter(l, l.allows > 0 && !l.denies.exists(d, d == 'all')).map(l, {'line': l.line, 'message': 'location ' + l.path + ' allows some addresses but denies none'})`,
    remediation: 'End the list with `deny all;`; without it, allow restricts nothing.',
    source: { ref: 'gixy allow_without_deny' },
  },
  {
    id: 'nginx.swag-auth',
    title: 'Every proxied app is behind authentication unless tagged public',
    severity: 'high',
    configType: 'nginx',
    check: `locations.filter(l, l.proxyPass != '' && !l.auth && !l.public).map(l, {'line': l.line, 'message': 'location ' + l.path + ' proxies to ' + l.proxyPass + ' without an auth snippet'})`,
    remediation:
      'Include an auth snippet (e.g. `include /config/nginx/authelia-location.conf;` with its server part), or tag an intentionally public app with `set $confwatch_public 1;` in its server or location block.',
    source: { ref: 'SWAG proxy-confs (authelia/authentik/ldap/tinyauth snippets)', url: 'https://github.com/linuxserver/reverse-proxy-confs' },
  },
  {
    id: 'nginx.hsts',
    title: 'TLS servers send Strict-Transport-Security',
    severity: 'low',
    configType: 'nginx',
    check: `servers.filter(s, s.ssl && !('strict-transport-security' in s.headers)).map(s, {'line': s.line, 'message': 'server ' + (size(s.names) > 0 ? s.names[0] : '(unnamed)') + ' sends no Strict-Transport-Security header'})`,
    remediation: 'Add `add_header Strict-Transport-Security "max-age=63072000" always;` (SWAG: in ssl.conf).',
    source: cis('4.1.8 (HSTS enabled)'),
  },
  {
    id: 'nginx.ssl-session-tickets',
    title: 'TLS session tickets are off',
    severity: 'low',
    configType: 'nginx',
    check: `statements.filter(s, s.name == 'ssl_session_tickets' && s.value == 'on').map(s, {'line': s.line, 'message': 'ssl_session_tickets on weakens forward secrecy'})`,
    remediation: 'Set `ssl_session_tickets off;`.',
    source: cis('4.1.12 (session resumption disabled)'),
  },
];
