/**
 * Validation of candidate content for a file (plan item 35): the real tool
 * on the device first; where it is missing, the local checks (parser
 * errors, compose schema) decide "invalid", and otherwise the result says
 * `unavailable` — never a silent "valid".
 */
import { parseFile } from '../parsers/registry.js';
import type { ConfigType } from '../parsers/parser.js';
import type { ValidationResult } from '../store/records.js';
import { displayPath, type RemotePath } from '../transport/remote-path.js';
import type { PathMapping } from '../transport/path-mapping.js';
import type { Transport } from '../transport/transport.js';
import { validateOnDevice } from './remote-validation.js';

export interface ValidateRequest {
  /** The device the file belongs to: callers hide the secret values of its other files in the output too. */
  readonly device?: string;
  readonly type: ConfigType;
  readonly path: RemotePath;
  readonly content: Buffer;
  /** Profile validation command with {file}/{dir} placeholders. */
  readonly command?: string | null;
  readonly sudo?: boolean;
  /** Container path mappings of the device and the file's profile. */
  readonly mappings?: readonly PathMapping[];
  /** A container known to mount the file's tree; else found with `docker ps` when docker is there. */
  readonly container?: string | null;
}

export async function validateContent(transport: Pick<Transport, 'run'>, request: ValidateRequest): Promise<ValidationResult> {
  const started = Date.now();
  const remote = await validateOnDevice(transport, request);
  if (remote && remote.status !== 'unavailable') return remote;
  const local = localCheck(request);
  const durationMs = Date.now() - started;
  if (local.errors.length > 0) {
    return { status: 'invalid', tool: 'confwatch parser', output: [remote?.output, ...local.errors].filter(Boolean).join('\n'), durationMs };
  }
  return {
    status: 'unavailable',
    tool: remote?.tool ?? 'none',
    output: [remote?.output ?? `no validation tool for ${request.type} files`, 'local checks (parser) found no errors'].join('\n'),
    durationMs,
  };
}

/** Parser errors as `file:line: message` lines. */
export function localCheck(request: Pick<ValidateRequest, 'type' | 'path' | 'content'>): { errors: string[] } {
  const result = parseFile(request.type, request.content, { path: request.path });
  const where = displayPath(request.path);
  return { errors: result.errors.map((e) => `${where}${e.line ? `:${e.line}` : ''}: ${e.message}`) };
}
