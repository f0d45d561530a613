/** The built-in packs, in report order. */
import type { ComplianceRule } from '../rule.js';
import { COMPOSE_PACK } from './compose.pack.js';
import { NGINX_PACK } from './nginx.pack.js';
import { SSHD_PACK } from './sshd.pack.js';
import { SYSTEMD_PACK } from './systemd.pack.js';

export const BUILTIN_RULES: readonly ComplianceRule[] = [...SSHD_PACK, ...NGINX_PACK, ...COMPOSE_PACK, ...SYSTEMD_PACK];
