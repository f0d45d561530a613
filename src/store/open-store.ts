/**
 * The store's factory: opens (and migrates) the database named by
 * `CONFWATCH_DATABASE_URL` or the default SQLite file, loads the master
 * key ring, and returns the store.
 */
import { openDatabase } from './database.js';
import { loadKeyRing } from './keyring.js';
import { KyselyStore, type KyselyStoreOptions } from './kysely.store.js';

export interface OpenStoreOptions extends KyselyStoreOptions {
  /** `$CONFWATCH_HOME`: where the SQLite file and master.key live. */
  readonly home: string;
  /** PostgreSQL URL; undefined = SQLite in `home`. */
  readonly databaseUrl?: string;
  /** Environment to read CONFWATCH_MASTER_KEY from. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Opens the store; rejects CW_ERR_NOT_INITIALISED without a master key, CW_ERR_DB_CONNECT when the database is unusable. */
export async function openStore(options: OpenStoreOptions): Promise<KyselyStore> {
  const keyRing = loadKeyRing(options.home, options.env);
  const { db, dialect } = await openDatabase(options.databaseUrl, options.home, keyRing);
  return new KyselyStore(db, dialect, keyRing, options);
}
