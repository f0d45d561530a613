import { composeParser } from './compose/compose.parser.js';
import { envParser } from './env/env.parser.js';
import { genericParser } from './generic/generic.parser.js';
import { nginxParser } from './nginx/nginx.parser.js';
import type { ConfigType, ParseContext, ParseResult, Parser } from './parser.js';
import { sshdParser } from './sshd/sshd.parser.js';
import { systemdParser } from './systemd/systemd.parser.js';

const PARSERS: Readonly<Record<ConfigType, Parser>> = Object.freeze({
  nginx: nginxParser,
  compose: composeParser,
  systemd: systemdParser,
  sshd: sshdParser,
  env: envParser,
  generic: genericParser,
});

/** The parser for a config type. */
export function getParser(type: ConfigType): Parser {
  return PARSERS[type];
}

/** Parses a file's bytes as `type`; never throws (see `Parser`). */
export function parseFile(type: ConfigType, bytes: Buffer, context?: ParseContext): ParseResult {
  return getParser(type).parse(bytes, context);
}
