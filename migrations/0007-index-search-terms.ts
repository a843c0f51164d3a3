import { searchTermItemsOf } from '../domain/search/search-index';
import { searchableTypes } from '../domain/search/search-terms';
import type { Migration } from './migration';
import { writeDerivedItems } from './reindex-records';

/** Contacts, companies and deals written before search existed have no search terms: writes the terms of every live one. */
export const indexSearchTerms: Migration = {
  id: '0007-index-search-terms',
  description: 'Write the search terms of every contact, company and deal',
  async run({ table, log }) {
    const { records, items } = await writeDerivedItems(table, searchableTypes, async (type) => (record) => searchTermItemsOf(type, record));
    log(`indexed ${records} record(s) with ${items} search term(s)`);
    return { changed: records };
  },
};
