import { neverThrow } from '../generic/never-throw.js';
import type { ParseContext, ParseIssue, ParseResult, Parser } from '../parser.js';
import { dirname } from './include-path.js';
import { parseNginx } from './parser.js';
import type { NginxMultiPayload, NginxPayloadError, NginxSinglePayload } from './payload.js';

/** What the nginx parser stores for a file. */
export interface NginxData {
  /**
   * crossplane's payload: multi-file (`config: [...]`, includes followed)
   * when the context can read files, single-file (`parsed`) otherwise.
   */
  readonly payload: NginxSinglePayload | NginxMultiPayload;
}

/** See `Parser.version`. */
export const NGINX_PARSER_VERSION = 2;

/**
 * The `Parser` for nginx configs. With `context.readFile`/`glob` it follows
 * `include` (globs too) relative to the nginx prefix: the directory named
 * `nginx` above the file when there is one (`/etc/nginx`, `/config/nginx`),
 * else the file's own directory. Argument counts are checked (context checks
 * are not, since many files are fragments included elsewhere). Never throws.
 */
export const nginxParser: Parser<NginxData> = {
  type: 'nginx',
  version: NGINX_PARSER_VERSION,
  parse(bytes: Buffer, context?: ParseContext): ParseResult<NginxData> {
    return neverThrow(() => parseWithIncludes(bytes, context));
  },
};

function parseWithIncludes(bytes: Buffer, context: ParseContext | undefined): ParseResult<NginxData> {
  const fileName = context?.path ?? 'nginx.conf';
  const followIncludes = context?.readFile !== undefined;
  const options = { fileName, checkArgs: true, context, includeRoot: nginxPrefix(fileName) };
  const payload: NginxSinglePayload | NginxMultiPayload = followIncludes ? parseNginx(bytes, { ...options, single: false }) : parseNginx(bytes, options);
  const lineCount = (file: string): number | undefined => {
    const content = file === fileName ? bytes : context?.readFile?.(file);
    return content === undefined ? undefined : content.toString('utf8').split('\n').length;
  };
  // An include that resolves nowhere (a container path, a snippet not on this device) leaves the file readable as
  // written: a warning, the same on every version, not a parse failure. The payload keeps crossplane's error.
  const unresolved = payload.errors.filter(isUnresolvedInclude);
  const errors = payload.errors.filter((e) => !isUnresolvedInclude(e)).map((e) => toIssue(e, fileName, lineCount));
  const warnings = unresolved.map((e) => toIssue({ ...e, error: `unresolved include: ${e.error.slice(NO_SUCH_FILE.length)} not found on this device` }, fileName, lineCount));
  const mainParsed = 'parsed' in payload ? payload.parsed : (payload.config[0]?.parsed ?? []);
  const nothingUsable = payload.status === 'failed' && mainParsed.length === 0;
  return { data: nothingUsable ? null : { payload }, errors, warnings };
}

/** How crossplane words an include whose file cannot be opened (parser.ts `noSuchFile`). */
const NO_SUCH_FILE = '[Errno 2] No such file or directory: ';
const isUnresolvedInclude = (e: NginxPayloadError): boolean => e.error.startsWith(NO_SUCH_FILE);

/** crossplane reports running out of input mid-statement as an empty message without a line. */
function toIssue(error: NginxPayloadError, mainFile: string, lineCount: (file: string) => number | undefined): ParseIssue {
  const file = error.file ?? mainFile;
  const message = error.error === '' ? 'unexpected end of file, expecting ";" or "}"' : error.error;
  const line = error.line ?? lineCount(file);
  return line === undefined ? { message, file } : { message, line, file };
}

/** The nginx prefix a config file's relative includes are resolved against. */
export function nginxPrefix(path: string): string {
  const parts = path.split('/');
  const at = parts.lastIndexOf('nginx', parts.length - 2);
  return at > 0 ? parts.slice(0, at + 1).join('/') : dirname(path);
}
