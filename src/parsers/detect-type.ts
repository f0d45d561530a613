import type { ConfigType } from './parser.js';

const COMPOSE_NAME = /^(docker-)?compose\.ya?ml$/;
const UNIT_SUFFIX = /\.(service|socket|timer|mount|path|target|slice|scope|automount|swap)$/;
/** A drop-in: `NAME.<unit suffix>.d/x.conf` under a systemd directory. */
const SYSTEMD_DROP_IN = /\/systemd\/.*\.(service|socket|timer|mount|path|target|slice|scope|automount|swap)\.d\/[^/]+\.conf$/;
const SSHD_NAME = /(^|\/)sshd_config[^/]*$/;
const SSHD_DROP_IN = /(^|\/)sshd_config\.d\/[^/]+\.conf$/;
/** Directives that only nginx files contain, at the start of a line. */
const NGINX_DIRECTIVE = /^\s*(server|location|http|upstream|events|map)\b[^;{\n]*\{|^\s*(proxy_pass|listen|server_name|fastcgi_pass|root|include|ssl_certificate|proxy_set_header|add_header|return|try_files)\s+[^;\n]*;/m;
/** Only the start of a file is inspected for nginx content. */
const SNIFF_BYTES = 64 * 1024;

/**
 * The config type of a file found by a `--watch` glob (SPEC §4): by name for
 * compose, systemd and sshd files; a `.conf` whose content has nginx
 * directives is nginx; anything else is generic.
 */
export function detectConfigType(path: string, bytes?: Buffer): ConfigType {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (COMPOSE_NAME.test(name)) return 'compose';
  if (SSHD_NAME.test(path) || SSHD_DROP_IN.test(path)) return 'sshd';
  if (UNIT_SUFFIX.test(name) || SYSTEMD_DROP_IN.test(path)) return 'systemd';
  if (name.endsWith('.conf') && bytes && looksLikeNginx(bytes)) return 'nginx';
  return 'generic';
}

function looksLikeNginx(bytes: Buffer): boolean {
  const text = bytes.subarray(0, SNIFF_BYTES).toString('utf8').replace(/^\s*#.*$/gm, '');
  return NGINX_DIRECTIVE.test(text);
}
