/**
 * The parser version behind each stored parse (`Parser.version`), so that
 * `confwatch reanalyze` finds the parses an older parser made. Null on
 * every version analysed before versions were recorded.
 */
import type { Kysely, Migration } from 'kysely';

export const parserVersionMigration = (): Migration => ({
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('snapshots').addColumn('parser_version', 'integer').execute();
  },
});
