import { itemToRecord } from '../domain/records/record-items';
import { searchTermItem } from '../domain/search/search-index';
import { searchableTypes, searchTermsOf } from '../domain/search/search-terms';
import { partitionQueries } from '../domain/shared/key-design';
import { recordKeys, recordsByType } from '../domain/shared/keys';
import { forEachQueryPage } from '../domain/shared/pagination';
import type { Migration } from './migration';

/**
 * Contacts, companies and deals written before search existed have no search terms: writes
 * the terms of every live one, through the lists of each type (no Scan). Term items are
 * keyed by record and term, so running it again writes the same items; a record changed
 * meanwhile gets its new terms from the search indexer, which follows the stream, and one
 * deleted meanwhile has the terms just written taken away again.
 */
export const indexSearchTerms: Migration = {
  id: '0007-index-search-terms',
  description: 'Write the search terms of every contact, company and deal',
  async run({ table, log }) {
    let records = 0;
    let terms = 0;
    for (const type of searchableTypes) {
      for (const query of partitionQueries(recordsByType.query({ type }))) {
        await forEachQueryPage(table, query, 100, async (items) => {
          const live = items.map(itemToRecord).filter((record) => record !== undefined);
          const termItems = live.flatMap((record) => searchTermsOf(type, record).map((term) => searchTermItem(type, record.id, term)));
          await table.putItems(termItems);
          // A record deleted (and swept) since the list was read must not keep its name and email in the table.
          const stillLive = new Set((await table.getItems(live.map((record) => recordKeys.record(type, record.id)))).map(itemToRecord).filter((record) => record !== undefined).map((record) => record.id));
          await table.deleteItems(termItems.filter((item) => !stillLive.has(String(item.recordId))).map(({ pk, sk }) => ({ pk, sk })));
          records += live.length;
          terms += termItems.length;
        });
      }
    }
    log(`indexed ${records} record(s) with ${terms} search term(s)`);
    return { changed: records };
  },
};
