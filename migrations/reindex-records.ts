import { itemToRecord, recordToItem } from '../domain/records/record-items';
import type { CrmRecord, RecordModel, RecordType } from '../domain/records/record-model';
import { recordKeys, recordsByType } from '../domain/shared/keys';
import { recordChangeBetween } from '../domain/records/record-change';
import { indexWritesOf } from '../domain/records/record-index';
import { PreconditionFailedError } from '../domain/shared/errors';
import { partitionQueries, type ListQuery } from '../domain/shared/key-design';
import { forEachQueryPage } from '../domain/shared/pagination';
import type { CrmTablePort, Item } from '../domain/shared/table-port';

/**
 * What a migration that adds index keys does: read a list of records (no Scan), and
 * rewrite each that `needsKeys` with the keys today's code writes, conditioned on the
 * version read. A record changed meanwhile already has them (its writer set them) and is
 * skipped; run again, it finds nothing left. Answers how many it rewrote.
 */
export async function reindexRecords(table: CrmTablePort, model: RecordModel, list: ListQuery, needsKeys: (record: CrmRecord, item: Item) => boolean): Promise<number> {
  let changed = 0;
  for (const query of partitionQueries(list)) {
    await forEachQueryPage(table, query, 100, async (items) => {
      for (const item of items) {
        const record = itemToRecord(item);
        if (!record || !needsKeys(record, item)) continue;
        try {
          await table.transactWrite([{ op: 'put', item: recordToItem(model, record), condition: { kind: 'liveAtVersion', version: record.version }, onConditionFailed: () => new PreconditionFailedError() }]);
          changed++;
        } catch (error) {
          // Changed or deleted since we read it: the write that did so set the keys itself.
          if (!(error instanceof PreconditionFailedError)) throw error;
        }
      }
    });
  }
  return changed;
}

/**
 * What a migration that adds derived items (search terms, list entries) to older records does:
 * writes `itemsOf` each live record of `types`, read through the lists of each type (no Scan).
 * Derived items are keyed by record, so running it again writes the same items. A record
 * changed meanwhile may have had its new items written by the record indexer before these
 * older ones landed: each record is read again after the write, and one at another version
 * has the items of the version read replaced by those of the version found (the indexer
 * follows the stream from there); one deleted (and swept) meanwhile has them taken away.
 */
export async function writeDerivedItems(
  table: CrmTablePort,
  types: readonly RecordType[],
  itemsOf: (type: RecordType) => Promise<(record: CrmRecord) => readonly Item[]>,
): Promise<{ readonly records: number; readonly items: number }> {
  let records = 0;
  let written = 0;
  for (const type of types) {
    const derive = await itemsOf(type);
    for (const query of partitionQueries(recordsByType.query({ type }))) {
      await forEachQueryPage(table, query, 100, async (items) => {
        const live = items.map(itemToRecord).filter((record) => record !== undefined);
        const derived = live.flatMap((record) => derive(record));
        await table.putItems(derived);
        const now = new Map((await table.getItems(live.map((record) => recordKeys.record(type, record.id)))).map(itemToRecord).filter((record) => record !== undefined).map((record) => [record.id, record]));
        // The record indexer's own fold, from the version read to the one found.
        const moved = live.filter((record) => now.get(record.id)?.version !== record.version).map((record) => recordChangeBetween(type, record, now.get(record.id)));
        const { puts, deletes } = indexWritesOf(moved, (_, record) => derive(record));
        await table.deleteItems(deletes);
        await table.putItems(puts);
        records += live.length;
        written += derived.length;
      });
    }
  }
  return { records, items: written };
}
