import { parse as parseToml, TomlError } from 'smol-toml';
import { parseAllDocuments } from 'yaml';
import type { ParseIssue, ParseResult, Parser } from '../parser.js';
import { decodeText, lineAtOffset, splitLines } from './decode-text.js';
import { parseDotenv } from './dotenv.js';
import { parseIni } from './ini.js';
import { jsonErrorOffset } from './json-error-offset.js';
import { neverThrow } from './never-throw.js';
import { MAX_YAML_NODES, yamlFlowDepthOffset, yamlNodeBudgetOffset } from './yaml-depth.js';

/** The formats the generic parser recognises, by file name. */
export type GenericFormat = 'json' | 'yaml' | 'toml' | 'ini' | 'env' | 'text';

/** What the generic parser returns: the parsed value, or a line count for plain text. */
export type GenericData =
  | { readonly format: Exclude<GenericFormat, 'text'>; readonly value: unknown }
  | { readonly format: 'text'; readonly lines: number };

/** YAML alias expansion cap: stops "billion laughs" documents from exhausting memory. */
const MAX_YAML_ALIASES = 10_000;

/** Picks the format from the file name; anything unrecognised is text. */
export function genericFormatOf(path: string | undefined): GenericFormat {
  const name = (path ?? '').split('/').pop()!.toLowerCase();
  if (name === '.env' || name.endsWith('.env') || name.startsWith('.env.')) return 'env';
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1) : '';
  if (ext === 'json') return 'json';
  if (ext === 'yaml' || ext === 'yml') return 'yaml';
  if (ext === 'toml') return 'toml';
  if (ext === 'ini') return 'ini';
  return 'text';
}

type Body = { value: unknown; errors: ParseIssue[] };

const FORMAT_PARSERS: Record<Exclude<GenericFormat, 'text'>, (text: string) => Body> = {
  json: parseJson,
  yaml: parseYaml,
  toml: parseTomlText,
  ini: (text) => {
    const { sections, errors } = parseIni(text);
    return { value: sections, errors: [...errors] };
  },
  env: (text) => {
    const { values, errors } = parseDotenv(text);
    return { value: values, errors: [...errors] };
  },
};

function parseJson(text: string): Body {
  try {
    return { value: JSON.parse(text), errors: [] };
  } catch (e) {
    const line = lineAtOffset(text, jsonErrorOffset(text));
    return { value: null, errors: [{ message: (e as Error).message.split('\n')[0]!, line }] };
  }
}

function parseYaml(text: string): Body {
  const tooDeep = yamlFlowDepthOffset(text);
  if (tooDeep >= 0) return { value: null, errors: [{ message: 'YAML is nested too deeply', line: lineAtOffset(text, tooDeep) }] };
  const tooMany = yamlNodeBudgetOffset(text);
  if (tooMany >= 0) return { value: null, errors: [{ message: `YAML has more than ${MAX_YAML_NODES} nodes; not parsed`, line: lineAtOffset(text, tooMany) }] };
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: false });
  const list = Array.isArray(docs) ? docs : [];
  const errors = list.flatMap((doc) =>
    doc.errors.map((e) => ({ message: e.message.split('\n')[0]!, line: lineAtOffset(text, e.pos[0]) })),
  );
  const values = list.map((doc) => {
    try {
      return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
    } catch (e) {
      errors.push({ message: (e as Error).message, line: lineAtOffset(text, doc.range[0]) });
      return null;
    }
  });
  return { value: values.length === 1 ? values[0] : values, errors };
}

function parseTomlText(text: string): Body {
  try {
    return { value: parseToml(text), errors: [] };
  } catch (e) {
    const line = e instanceof TomlError ? e.line : 1;
    return { value: null, errors: [{ message: (e as Error).message.split('\n')[0]!, line }] };
  }
}

/** See `Parser.version`. */
export const GENERIC_PARSER_VERSION = 1;

/** JSON, YAML, TOML, INI and `.env` by file name (ParseContext.path); anything else is text. */
export const genericParser: Parser<GenericData> = {
  type: 'generic',
  version: GENERIC_PARSER_VERSION,
  parse(bytes, context): ParseResult<GenericData> {
    return neverThrow<GenericData>(() => {
      const { text, warnings } = decodeText(bytes);
      const format = genericFormatOf(context?.path);
      if (format === 'text') return { data: { format, lines: splitLines(text).length }, errors: [], warnings };
      const { value, errors } = FORMAT_PARSERS[format](text);
      return { data: errors.length > 0 && value === null ? null : { format, value }, errors, warnings };
    });
  },
};
