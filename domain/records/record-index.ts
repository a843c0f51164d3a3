import type { PropertyDefinition } from '../properties/property-definition';
import { propertyDefinitionsFor, type PropertyDependencies } from '../properties/property-use-cases';
import { searchTermItemsOf } from '../search/search-index';
import { keepDuplicateCandidates, type DuplicateDependencies } from '../duplicates/duplicates';
import type { Item, ItemKey } from '../shared/table-port';
import { catalogueWith, leftoverEntryKeysOf, listEntriesOf, type ListCatalogue } from './list-views';
import type { RecordChange } from './record-change';
import type { CrmRecord, RecordType } from './record-model';
import { modelOf } from './record-models';

/**
 * Keeps the items derived from each record in step with it, off the request path: its search
 * terms (domain/search/) and its list entries (list-views.ts), all in the record's own
 * partition. The `recordIndexer` stream consumer (functions/manifest.ts) hands it each batch
 * of record changes in stream order, and it writes what the derived items of each record
 * before and after call for. Nothing of the record is read; the stream's images are all it
 * needs, and the property definitions say which custom properties have lists.
 *
 * Within a batch the changes are folded into one final state per derived item (the last
 * change of an item wins), so two renames of one record in a batch cannot leave the first
 * name behind, and the writes go as unconditional batches. Applying a batch again writes the
 * same state: a retried or redelivered batch changes nothing. An update that leaves an item
 * as it was writes nothing for it. The sweep that finishes a deletion removes the record's
 * partition, derived items and all.
 */

/** The items derived from a record of a type. */
export type DerivedItems = (type: RecordType, record: CrmRecord) => readonly Item[];

export interface IndexWrites {
  readonly puts: Item[];
  readonly deletes: ItemKey[];
}

const identityOf = (key: ItemKey) => `${key.pk}\u0000${key.sk}`;

/** Keys of items a change may have left that no derivation names any more (list-views.ts leftoverEntryKeysOf). */
export type LeftoverKeys = (change: RecordChange) => readonly ItemKey[];

/** What a run of record changes (in stream order) does to the derived items: the final put or delete of each item it touches. */
export function indexWritesOf(changes: readonly RecordChange[], derive: DerivedItems, leftovers: LeftoverKeys = () => []): IndexWrites {
  const final = new Map<string, { readonly put?: Item; readonly key: ItemKey }>();
  for (const change of changes) {
    for (const key of leftovers(change)) final.set(identityOf(key), { key: { pk: key.pk, sk: key.sk } });
    const before = new Map((change.before ? derive(change.recordType, change.before) : []).map((item) => [identityOf(item), JSON.stringify(item)]));
    const after = change.event === 'deleted' || !change.after ? [] : derive(change.recordType, change.after);
    const stays = new Set<string>();
    for (const item of after) {
      const identity = identityOf(item);
      stays.add(identity);
      if (before.get(identity) !== JSON.stringify(item)) final.set(identity, { key: { pk: item.pk, sk: item.sk }, put: item });
    }
    for (const identity of before.keys()) {
      if (stays.has(identity)) continue;
      const [pk, sk] = identity.split('\u0000') as [string, string];
      final.set(identity, { key: { pk, sk } });
    }
  }
  const writes: IndexWrites = { puts: [], deletes: [] };
  for (const { put, key } of final.values()) {
    if (put) writes.puts.push(put);
    else writes.deletes.push(key);
  }
  return writes;
}

/** Each record type's custom property definitions and list catalogue, as defined now. */
async function cataloguesOf(deps: Pick<PropertyDependencies, 'table'>, types: readonly RecordType[]) {
  const read = await Promise.all(types.map(async (type) => [type, await propertyDefinitionsFor(deps, type)] as const));
  return {
    definitions: new Map<RecordType, readonly PropertyDefinition[]>(read),
    catalogues: new Map<RecordType, ListCatalogue>(read.map(([type, definitions]) => [type, catalogueWith(modelOf(type).lists, definitions)])),
  };
}

/** Everything derived from a record: its search terms and its list entries. */
export const derivedItemsWith =
  (catalogues: ReadonlyMap<RecordType, ListCatalogue>): DerivedItems =>
  (type, record) => [...searchTermItemsOf(type, record), ...listEntriesOf(type, catalogues.get(type) ?? modelOf(type).lists, record)];

/**
 * Applies a batch of record changes to the derived items, then to the duplicate candidates
 * (domain/duplicates/); answers how many items it wrote and removed, and how many pairs it changed.
 */
export async function indexRecordChanges(deps: DuplicateDependencies, changes: readonly RecordChange[]): Promise<{ readonly put: number; readonly deleted: number; readonly pairs: number }> {
  const { catalogues, definitions } = await cataloguesOf(deps, [...new Set(changes.map((change) => change.recordType))]);
  const leftovers: LeftoverKeys = (change) => (change.before ? leftoverEntryKeysOf(change.recordType, definitions.get(change.recordType)!, change.before, change.event === 'deleted' ? undefined : change.after) : []);
  const { puts, deletes } = indexWritesOf(changes, derivedItemsWith(catalogues), leftovers);
  await deps.table.deleteItems(deletes);
  await deps.table.putItems(puts);
  const pairs = await keepDuplicateCandidates(deps, changes);
  return { put: puts.length, deleted: deletes.length, pairs };
}
