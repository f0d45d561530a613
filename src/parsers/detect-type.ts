import type { ConfigType } from './parser.js';

const COMPOSE_NAME = /^(docker-)?compose\.ya?ml$/;
const UNIT_SUFFIX = /\.(service|socket|timer|mount|path|target|slice|scope|automount|swap)$/;
/** A drop-in: `NAME.<unit suffix>.d/x.conf` under a systemd directory. */
const SYSTEMD_DROP_IN = /\/systemd\/.*\.(service|socket|timer|mount|path|target|slice|scope|automount|swap)\.d\/[^/]+\.conf$/;
const SSHD_NAME = /(^|\/)sshd_config[^/]*$/;
const SSHD_DROP_IN = /(^|\/)sshd_config\.d\/[^/]+\.conf$/;
/**
 * nginx blocks, or a statement of a directive only nginx has, alone on its
 * line and ended by `;`: snippets such as SWAG's `resolver.conf` or
 * `proxy.conf` hold no block and none of the usual server directives.
 */
const NGINX_DIRECTIVE = new RegExp(
  [
    String.raw`^\s*(server|location|http|upstream|events|map|stream|geo|types|if|limit_except)\b[^;{\n]*\{`,
    String.raw`^\s*(listen|server_name|root|alias|include|return|try_files|rewrite|index|add_header|error_page|resolver|resolver_timeout|worker_processes|worker_connections|pcre_jit|daemon|pid|user|default_type|sendfile|tcp_nopush|tcp_nodelay|keepalive_timeout|server_tokens|http2|http3|set|deny|allow|satisfy|(proxy|fastcgi|uwsgi|scgi|grpc|ssl|auth_basic|auth_request|client|gzip|limit_req|limit_conn|real_ip|large_client|open_file)\w*)\s+[^;\n]*;\s*(#.*)?$`,
  ].join('|'),
  'm',
);
/** `.env`, `app.env`, `.env.production`: KEY=value files, whatever the profile. */
const ENV_NAME = /^(\.env(\..+)?|.+\.env)$/;
/** Only the start of a file is inspected for nginx content. */
const SNIFF_BYTES = 64 * 1024;

/**
 * The config type of a file found by a `--watch` glob or a profile that
 * forces none (SPEC §4): by name for compose, systemd, sshd and `.env`
 * files; a `.conf` whose content has nginx directives is nginx; anything
 * else is generic.
 */
export function detectConfigType(path: string, bytes?: Buffer): ConfigType {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (COMPOSE_NAME.test(name)) return 'compose';
  if (ENV_NAME.test(name)) return 'env';
  if (SSHD_NAME.test(path) || SSHD_DROP_IN.test(path)) return 'sshd';
  if (UNIT_SUFFIX.test(name) || SYSTEMD_DROP_IN.test(path)) return 'systemd';
  if (name.endsWith('.conf') && bytes && looksLikeNginx(bytes)) return 'nginx';
  return 'generic';
}

function looksLikeNginx(bytes: Buffer): boolean {
  const text = bytes.subarray(0, SNIFF_BYTES).toString('utf8').replace(/^\s*#.*$/gm, '');
  return NGINX_DIRECTIVE.test(text);
}
