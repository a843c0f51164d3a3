import { migrationKeys } from './keys';
import type { CrmTablePort } from './table-port';

/**
 * The data migration that moved list entries from one partition per list to the shards
 * of key-design.ts (migrations/0002-shard-lists.ts). Until it has run on a table, lists
 * also read each list's old partition, so nothing disappears from a list mid-migration.
 */
export const SHARD_LISTS_MIGRATION = '0002-shard-lists';

/** Where the table's items are kept, as far as reading lists is concerned. */
export interface KeyLayout {
  /** True while items may still sit under the partition keys lists had before sharding. */
  readsLegacyPartitions(): Promise<boolean>;
}

/** How long "not migrated yet" is believed before the marker is read again. */
const RECHECK_MS = 60_000;

/**
 * The layout as the migration marker says: once the migration is recorded it is never
 * undone, so "migrated" is kept for good; "not yet" is read again after a minute, so a
 * container notices the migration finishing without a GetItem on every list request.
 */
export function keyLayoutOf(table: CrmTablePort, now: () => number = Date.now): KeyLayout {
  let migrated = false;
  let checkedAt = -Infinity;
  let checking: Promise<boolean> | undefined;
  return {
    async readsLegacyPartitions() {
      if (migrated) return false;
      if (now() - checkedAt < RECHECK_MS) return true;
      checking ??= table.getItem(migrationKeys.applied(SHARD_LISTS_MIGRATION)).then(
        (marker) => {
          migrated = marker !== undefined;
          checkedAt = now();
          checking = undefined;
          return !migrated;
        },
        (error: unknown) => {
          checking = undefined;
          throw error;
        },
      );
      return checking;
    },
  };
}
