/**
 * `confwatch init`: the home directory (0700), the master key (0600, never
 * overwritten) and the database with its migrations. Idempotent.
 */
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type Environment, redactUrl } from '../config/environment.js';
import { ConfwatchError } from '../errors.js';
import { createMasterKeyFile, MASTER_KEY_FILE } from '../store/keyring.js';
import { openServices } from './services.js';

export interface InitResult {
  readonly home: string;
  /** True when this call created the home directory. */
  readonly created: boolean;
  /** The SQLite file, or the PostgreSQL URL without its password. */
  readonly database: string;
  readonly masterKey: 'created' | 'existing' | 'environment';
  /** A new admin API token, printed once (absent when an admin already exists). */
  readonly adminToken?: string;
}

export async function initHome(environment: Environment): Promise<InitResult> {
  const { home } = environment;
  const created = !existsSync(home);
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    if (statSync(home).uid === process.getuid?.()) chmodSync(home, 0o700);
  } catch (error) {
    throw new ConfwatchError('CW_ERR_CONFIG', `cannot create ${home}: ${(error as Error).message}; set CONFWATCH_HOME to a writable directory`, { cause: error });
  }
  let masterKey: InitResult['masterKey'] = 'environment';
  if (!environment.env.CONFWATCH_MASTER_KEY) masterKey = createMasterKeyFile(home) ? 'created' : 'existing';
  const services = await openServices(environment);
  try {
    const adminToken = await services.auth.bootstrapAdmin();
    return {
      home,
      created,
      database: environment.databaseUrl ? redactUrl(environment.databaseUrl) : join(home, 'confwatch.db'),
      masterKey,
      ...(adminToken ? { adminToken } : {}),
    };
  } finally {
    await services.close();
  }
}

export const masterKeyPath = (home: string): string => join(home, MASTER_KEY_FILE);
