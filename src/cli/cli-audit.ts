/**
 * CLI mutations are audited like the API's: actor `cli:<OS user>`, the
 * action, its target (`key=value` pairs, noted as soon as known so a
 * command that fails half-way still names what it acted on) and the
 * result. An error is recorded with its code only: messages may quote
 * tool output, which never belongs in the log.
 */
import { userInfo } from 'node:os';
import type { AuditRecorder } from '../auth/audit-recorder.js';
import { type AuditTargetPair, formatAuditTarget } from '../auth/audit-target.js';
import { isConfwatchError } from '../errors.js';

/** The OS user running the CLI. */
export function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? 'unknown'}`;
  }
}

/** The audit actor of CLI commands. */
export const cliActor = (): string => `cli:${osUserName()}`;

/** Adds `key=value` pairs to the audit target of the running command. */
export type NoteTarget = (...pairs: AuditTargetPair[]) => void;

/**
 * Runs `run` and appends one audit entry for it, `ok` or `error` (`denied`
 * for an authorisation error), then returns its result or rethrows.
 */
export async function auditedCommand<T>(
  audit: AuditRecorder,
  action: string,
  target: readonly AuditTargetPair[],
  run: (note: NoteTarget) => Promise<T>,
): Promise<T> {
  const pairs: AuditTargetPair[] = [...target];
  const note: NoteTarget = (...more) => pairs.push(...more);
  const record = (result: 'ok' | 'error' | 'denied', details: unknown) =>
    audit.record({ actor: cliActor(), action, target: formatAuditTarget(pairs), clientAddress: null, result, details });
  let value: T;
  try {
    value = await run(note);
  } catch (error) {
    const code = isConfwatchError(error) ? error.code : 'CW_ERR_INTERNAL';
    await record(code.startsWith('CW_ERR_AUTH') ? 'denied' : 'error', { code }).catch(() => undefined);
    throw error;
  }
  await record('ok', null);
  return value;
}
