/**
 * The `Parser` for `.env` files (Docker Compose's variables file, systemd's
 * `EnvironmentFile`). Values stay out of the parsed data: it is stored in
 * clear and `.env` files are where secrets live, so the data says which
 * variables exist and where, and the semantic diff compares values from the
 * (encrypted) contents of both versions.
 */
import { decodeText } from '../generic/decode-text.js';
import { parseDotenv } from '../generic/dotenv.js';
import { neverThrow } from '../generic/never-throw.js';
import type { ParseResult, Parser } from '../parser.js';

/** One variable of a `.env` file. */
export interface EnvVariable {
  /** 1-based line of its (last) assignment. */
  readonly line: number;
  /** The value is empty (`KEY=`). */
  readonly empty: boolean;
  /** Variables the value refers to (`${OTHER}`, `$OTHER`), which Compose interpolates. */
  readonly references: readonly string[];
}

/** What the env parser stores for a file: variable names, never values. */
export interface EnvData {
  readonly kind: 'env';
  /** Variable name → where it is set; a later assignment replaces an earlier one. */
  readonly variables: Readonly<Record<string, EnvVariable>>;
}

const REFERENCE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

/** The variables of a `.env` text with their values, for comparing two versions; never stored. */
export function envValues(text: string): Readonly<Record<string, string>> {
  return parseDotenv(text).values;
}

/** See `Parser.version`. */
export const ENV_PARSER_VERSION = 1;

export const envParser: Parser<EnvData> = {
  type: 'env',
  version: ENV_PARSER_VERSION,
  parse(bytes): ParseResult<EnvData> {
    return neverThrow<EnvData>(() => {
      const { text, warnings } = decodeText(bytes);
      const { values, lines, errors } = parseDotenv(text);
      const variables: Record<string, EnvVariable> = {};
      for (const [name, value] of Object.entries(values)) {
        const references = [...new Set([...value.matchAll(REFERENCE)].map((m) => m[1]!))];
        variables[name] = { line: lines[name]!, empty: value === '', references };
      }
      return { data: { kind: 'env', variables }, errors, warnings };
    });
  },
};
