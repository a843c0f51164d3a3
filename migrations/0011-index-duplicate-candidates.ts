import { systemClock } from '../adapters/system-clock';
import { applyMatchKeys } from '../domain/duplicates/duplicates';
import { matchKeysOf, type DeduplicatedType } from '../domain/duplicates/match-keys';
import { itemToRecord } from '../domain/records/record-items';
import { partitionQueries } from '../domain/shared/key-design';
import { recordKeys, recordsByType } from '../domain/shared/keys';
import { forEachQueryPage } from '../domain/shared/pagination';
import type { Migration } from './migration';

/**
 * Contacts and companies written before duplicates were looked for are in no match group:
 * puts each live one in its groups and writes the pairs it makes, read through the lists of
 * each type (no Scan). A record changed meanwhile is read again afterwards and moved from the
 * keys of the version read to those of the version found (the record indexer follows the
 * stream from there); running it again writes the same groups and finds every pair written
 * (`changed` counts pairs).
 */
export const indexDuplicateCandidates: Migration = {
  id: '0011-index-duplicate-candidates',
  description: 'Put every contact and company in its duplicate match groups, and write the candidate pairs',
  async run({ table, log }) {
    const deps = { table, clock: systemClock };
    let records = 0;
    let pairs = 0;
    for (const type of ['contact', 'company'] as const satisfies readonly DeduplicatedType[]) {
      for (const query of partitionQueries(recordsByType.query({ type }))) {
        await forEachQueryPage(table, query, 100, async (items) => {
          for (const record of items.map(itemToRecord).filter((live) => live !== undefined)) {
            const keys = matchKeysOf(type, record);
            pairs += await applyMatchKeys(deps, type, record.id, [], keys);
            const now = itemToRecord(await table.getItem(recordKeys.record(type, record.id)));
            if (now?.version !== record.version) pairs += await applyMatchKeys(deps, type, record.id, keys, now ? matchKeysOf(type, now) : []);
            records++;
          }
        });
      }
    }
    log(`put ${records} record(s) in their match groups; ${pairs} candidate pair(s) written`);
    return { changed: pairs };
  },
};
