import type { RecordChange } from '../records/record-change';
import type { CrmRecord } from '../records/record-model';
import { searchTermKey, searchTerms } from '../shared/keys';
import type { CrmTablePort, Item, ItemKey } from '../shared/table-port';
import { isSearchable, searchTermsOf, type SearchableType, type SearchTerm } from './search-terms';

/**
 * Keeps the search index in step with the records, off the request path: the `searchIndexer`
 * stream consumer (functions/manifest.ts) hands it each batch of record changes in stream
 * order, and it writes what the terms of each record before and after call for. Nothing is
 * read; the stream's images are all it needs.
 *
 * Within a batch the changes are folded into one final state per term item (the last change
 * of an item wins), so two renames of one record in a batch cannot leave the first name
 * behind, and the writes go as unconditional batches. Applying a batch again writes the
 * same state: a retried or redelivered batch changes nothing. A record's term items live in
 * its partition, so the sweep that finishes a deletion removes any it finds as well.
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

const termsOf = (type: SearchableType, record: CrmRecord | undefined) => (record ? searchTermsOf(type, record) : []);
const identityOf = (key: ItemKey) => `${key.pk}\u0000${key.sk}`;
const termIdentity = (term: SearchTerm) => `${term.kind} ${term.term}`;

export interface SearchIndexWrites {
  readonly puts: Item[];
  readonly deletes: ItemKey[];
}

/** What a run of record changes (in stream order) does to the index: the final put or delete of each term item it touches. */
export function searchIndexWritesOf(changes: readonly RecordChange[]): SearchIndexWrites {
  const final = new Map<string, { readonly put?: Item; readonly key: ItemKey }>();
  for (const change of changes) {
    if (!isSearchable(change.recordType)) continue;
    const type = change.recordType;
    const before = termsOf(type, change.before);
    const after = termsOf(type, change.event === 'deleted' ? undefined : change.after);
    const kept = new Set(before.map(termIdentity));
    const stays = new Set(after.map(termIdentity));
    // An update that leaves a term as it was writes nothing for it: most updates touch no name, email or phone.
    for (const term of before) {
      if (stays.has(termIdentity(term))) continue;
      const key = searchTermKey(type, change.id, term.kind, term.term);
      final.set(identityOf(key), { key });
    }
    for (const term of after) {
      if (kept.has(termIdentity(term))) continue;
      const item = searchTermItem(type, change.id, term);
      final.set(identityOf(item), { key: { pk: item.pk, sk: item.sk }, put: item });
    }
  }
  const writes: SearchIndexWrites = { puts: [], deletes: [] };
  for (const { put, key } of final.values()) {
    if (put) writes.puts.push(put);
    else writes.deletes.push(key);
  }
  return writes;
}

/** Applies a batch of record changes to the index; answers how many term items it wrote and removed. */
export async function indexRecordChanges(table: CrmTablePort, changes: readonly RecordChange[]): Promise<{ readonly put: number; readonly deleted: number }> {
  const { puts, deletes } = searchIndexWritesOf(changes);
  await table.deleteItems(deletes);
  await table.putItems(puts);
  return { put: puts.length, deleted: deletes.length };
}
