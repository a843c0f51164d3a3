import type { CrmRecord, RecordType } from '../records/record-model';
import { searchTermKey, searchTerms } from '../shared/keys';
import type { Item } from '../shared/table-port';
import { isSearchable, searchTermsOf, type SearchableType, type SearchTerm } from './search-terms';

/**
 * The search index's items: each search term of a record (search-terms.ts) is an item in the
 * record's partition, listed in gsi1 by its first characters. The record indexer
 * (domain/records/record-index.ts) keeps them in step with the records from the stream.
 */

export function searchTermItem(type: SearchableType, id: string, term: SearchTerm): Item {
  return {
    ...searchTermKey(type, id, term.kind, term.term),
    ...searchTerms.attributes({ type, kind: term.kind, term: term.term }, { term: term.term, id }),
    entity: 'searchTerm',
    recordType: type,
    recordId: id,
    kind: term.kind,
    field: term.field,
    term: term.term,
  };
}

/** A record's search term items (none for a type search does not cover). */
export const searchTermItemsOf = (type: RecordType, record: CrmRecord): Item[] => (isSearchable(type) ? searchTermsOf(type, record).map((term) => searchTermItem(type, record.id, term)) : []);
