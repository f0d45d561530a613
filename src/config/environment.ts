/**
 * Where confwatch keeps its state, from the environment (SPEC §6):
 * `CONFWATCH_HOME` (default `~/.confwatch`), `CONFWATCH_DATABASE_URL`
 * (PostgreSQL when set, else SQLite in the home), `CONFWATCH_MASTER_KEY`
 * (overrides `master.key`).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface Environment {
  /** Absolute path of the confwatch home. */
  readonly home: string;
  /** PostgreSQL URL, or undefined for the embedded SQLite database. */
  readonly databaseUrl: string | undefined;
  /** The raw process environment, for the key ring and transports (SSH_AUTH_SOCK). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const home = env.CONFWATCH_HOME ? resolve(env.CONFWATCH_HOME) : join(homedir(), '.confwatch');
  const databaseUrl = env.CONFWATCH_DATABASE_URL?.trim() || undefined;
  return Object.freeze({ home, databaseUrl, env });
}

/** A database URL with its password replaced, safe for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  }
}
