import { itemToRecord, recordToItem } from '../domain/records/record-items';
import type { CrmRecord, RecordModel } from '../domain/records/record-model';
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
