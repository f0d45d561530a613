/**
 * The parser of each config type, for analysis and the `parse` command.
 * Replace by the parser registry's `getParser` once it is available.
 */
import { composeParser } from '../parsers/compose/compose.parser.js';
import { envParser } from '../parsers/env/env.parser.js';
import { genericParser } from '../parsers/generic/generic.parser.js';
import { nginxParser } from '../parsers/nginx/nginx.parser.js';
import type { ConfigType, Parser } from '../parsers/parser.js';
import { sshdParser } from '../parsers/sshd/sshd.parser.js';
import { systemdParser } from '../parsers/systemd/systemd.parser.js';

const PARSERS: Record<ConfigType, Parser> = {
  nginx: nginxParser,
  compose: composeParser,
  systemd: systemdParser,
  sshd: sshdParser,
  env: envParser,
  generic: genericParser,
};

export const parserFor = (type: ConfigType): Parser => PARSERS[type];
