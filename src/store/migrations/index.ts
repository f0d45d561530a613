/**
 * Every migration, in order. Names sort in the order they run; a released
 * migration is never edited, only followed by a new one.
 */
import type { Migration } from 'kysely';
import type { KeyRing } from '../keyring.js';
import type { DialectName } from '../tables.js';
import { coreMigration } from './0001-core.js';
import { accessAndWritebackMigration } from './0002-access-and-writeback.js';
import { dependencyGraphMigration } from './0003-dependency-graph.js';
import { writebackMigration } from './0004-writeback.js';
import { writebackLeaseMigration } from './0005-writeback-lease.js';
import { sealedDerivedMigration } from './0007-sealed-derived.js';
import { pathMappingsMigration } from './0008-path-mappings.js';
import { deviceRevisionMigration } from './0009-device-revision.js';
import { hardenMigration } from './0010-harden.js';
import { sealedGraphMigration } from './0011-sealed-graph.js';
import { parserVersionMigration } from './0012-parser-version.js';
import { alertsMigration } from './0013-alerts.js';
import { complianceMigration } from './0014-compliance.js';
import { complianceTrendMigration } from './0015-compliance-trend.js';
import { changeRequestsMigration } from './0016-change-requests.js';
import { templatesMigration } from './0017-templates.js';

/** `keys`: the master key ring, for migrations that seal stored values (0007, 0011). */
export const migrationsFor = (dialect: DialectName, keys?: KeyRing): Record<string, Migration> => ({
  '0001-core': coreMigration(dialect),
  '0002-access-and-writeback': accessAndWritebackMigration(),
  '0003-dependency-graph': dependencyGraphMigration(),
  '0004-writeback': writebackMigration(),
  '0005-writeback-lease': writebackLeaseMigration(),
  '0007-sealed-derived': sealedDerivedMigration(keys),
  '0008-path-mappings': pathMappingsMigration(),
  '0009-device-revision': deviceRevisionMigration(),
  '0010-harden': hardenMigration(),
  '0011-sealed-graph': sealedGraphMigration(dialect, keys),
  '0012-parser-version': parserVersionMigration(),
  '0013-alerts': alertsMigration(),
  '0014-compliance': complianceMigration(),
  '0015-compliance-trend': complianceTrendMigration(),
  '0016-change-requests': changeRequestsMigration(),
  '0017-templates': templatesMigration(),
});
