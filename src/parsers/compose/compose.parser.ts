import { decodeText } from '../generic/decode-text.js';
import { neverThrow } from '../generic/never-throw.js';
import type { ParseContext, ParseResult, Parser } from '../parser.js';
import { type ComposeReadOptions, ComposeProject } from './compose-project.js';
import type { ComposeData } from './compose-types.js';

/** Parses a compose file; `validate: false` skips the schema check (benchmarks, previews). */
export function parseCompose(bytes: Buffer, context: ParseContext = {}, options: ComposeReadOptions = {}): ParseResult<ComposeData> {
  return neverThrow<ComposeData>(() => {
    const decoded = decodeText(bytes);
    const project = new ComposeProject(context);
    const data = project.read(decoded.text, options);
    return { data, errors: project.errors, warnings: [...decoded.warnings, ...project.warnings] };
  });
}

/** See `Parser.version`. */
export const COMPOSE_PARSER_VERSION = 1;

/** Docker Compose files: interpolation, extends, include, profiles, schema validation. */
export const composeParser: Parser<ComposeData> = {
  type: 'compose',
  version: COMPOSE_PARSER_VERSION,
  parse: (bytes, context) => parseCompose(bytes, context),
};
