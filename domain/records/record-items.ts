import { byLastUpdate, recordKeys, recordsByType } from '../shared/keys';
import type { Item } from '../shared/table-port';
import { storageAttributes } from '../shared/stored-item';
import type { CrmRecord, RecordModel, RecordReference } from './record-model';


export function recordToItem(model: RecordModel, record: CrmRecord): Item {
  return {
    ...record,
    ...recordKeys.record(model.type, record.id),
    entity: model.type,
    ...recordsByType.attributes({ type: model.type }, byLastUpdate(record)),
    ...model.indexKeys(record),
  };
}

const leading = ['id'];
const trailing = ['createdAt', 'updatedAt', 'version'];
const rank = (name: string) => (leading.includes(name) ? -1 : trailing.includes(name) ? 1 + trailing.indexOf(name) : 0);

/** The record's own fields in a stable, readable order; null and undefined mean absent. */
export function toRecordFields(values: Record<string, unknown>): CrmRecord {
  const fields = Object.entries(values).filter(([name, value]) => !storageAttributes.has(name) && value !== null && value !== undefined);
  fields.sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  return Object.fromEntries(fields) as CrmRecord;
}

/** A live record from its item; undefined for a missing item or a tombstone. */
export function itemToRecord(item: Item | undefined): CrmRecord | undefined {
  if (!item || item.deletedAt !== undefined) return undefined;
  return toRecordFields(item);
}

export function referencedIds(record: Record<string, unknown> | undefined, reference: RecordReference): string[] {
  const value = record?.[reference.field];
  if (Array.isArray(value)) return value as string[];
  return typeof value === 'string' ? [value] : [];
}

/** The key of the link item a record keeps in a referenced record's partition. */
export function linkKey(model: RecordModel, record: Record<string, unknown> & { id: string }, reference: RecordReference, targetId: string) {
  return reference.linkKind === 'timeline'
    ? recordKeys.timelineActivityLink(reference.target, targetId, record.occurredAt as string, record.id)
    : recordKeys.associationLink(reference.target, targetId, model.type, record.id);
}
