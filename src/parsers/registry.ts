/**
 * The one parser registry, keyed by config type, keeping each parser's
 * output type: `getParser('compose')` is a `Parser<ComposeData>`.
 */
import { composeParser } from './compose/compose.parser.js';
import type { ComposeData } from './compose/compose-types.js';
import { type EnvData, envParser } from './env/env.parser.js';
import { type GenericData, genericParser } from './generic/generic.parser.js';
import { type NginxData, nginxParser } from './nginx/nginx.parser.js';
import type { ConfigType, ParseContext, ParseResult, Parser } from './parser.js';
import { type SshdConfigData, sshdParser } from './sshd/sshd.parser.js';
import { type SystemdUnitData, systemdParser } from './systemd/systemd.parser.js';

/** What each config type's parser returns as `data`. */
export interface ParserOutputs {
  readonly nginx: NginxData;
  readonly compose: ComposeData;
  readonly systemd: SystemdUnitData;
  readonly sshd: SshdConfigData;
  readonly env: EnvData;
  readonly generic: GenericData;
}

const PARSERS: { readonly [K in ConfigType]: Parser<ParserOutputs[K]> } = Object.freeze({
  nginx: nginxParser,
  compose: composeParser,
  systemd: systemdParser,
  sshd: sshdParser,
  env: envParser,
  generic: genericParser,
});

/** The parser for a config type. */
export function getParser<K extends ConfigType>(type: K): Parser<ParserOutputs[K]> {
  return PARSERS[type];
}

/** Parses a file's bytes as `type`; never throws (see `Parser`). */
export function parseFile<K extends ConfigType>(type: K, bytes: Buffer, context?: ParseContext): ParseResult<ParserOutputs[K]> {
  return getParser(type).parse(bytes, context);
}
