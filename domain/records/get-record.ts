import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { NotFoundError, UniqueValueTakenError } from '../shared/errors';
import { recordKeys, uniqueGuardKey } from '../shared/keys';
import type { RecordDependencies } from './record-dependencies';
import type { Item } from '../shared/table-port';
import { itemToRecord } from './record-items';
import type { CrmRecord, RecordModel } from './record-model';

export async function findRecord(deps: Pick<RecordDependencies, 'table'>, model: RecordModel, id: string): Promise<CrmRecord | undefined> {
  return itemToRecord(await deps.table.getItem(recordKeys.record(model.type, id)));
}

export async function getRecord(deps: Pick<RecordDependencies, 'table'>, model: RecordModel, id: string, actor: Actor): Promise<CrmRecord> {
  requireCapability(actor, 'readRecords', `read ${model.collection}`);
  return requireRecord(deps, model, id);
}

/** The live record, or the 404 that says so (naming the survivor when it was merged away). */
export async function requireRecord(deps: Pick<RecordDependencies, 'table'>, model: RecordModel, id: string): Promise<CrmRecord> {
  const item = await deps.table.getItem(recordKeys.record(model.type, id));
  const record = itemToRecord(item);
  if (!record) throw new NotFoundError(model.type, id, mergedInto(item));
  return record;
}

/** The record a merged record was merged into, if `item` is what a merge left of it. */
export const mergedInto = (item: Item | undefined): string | undefined => (typeof item?.mergedInto === 'string' ? item.mergedInto : undefined);

/** A taken unique value's error, naming the record that holds it, so the client can fetch or update that one instead. */
export async function namingTheHolder(deps: Pick<RecordDependencies, 'table'>, model: RecordModel, error: UniqueValueTakenError): Promise<UniqueValueTakenError> {
  const holder = await findByUniqueValue(deps, model, error.value, error.field);
  return holder ? new UniqueValueTakenError(error.field, error.value, holder.id) : error;
}

/** Lookup by a unique value (contact email, company domain, an externalId) through its guard item; by the type's first unique field unless `field` names another. */
export async function findByUniqueValue(deps: Pick<RecordDependencies, 'table'>, model: RecordModel, value: string, field?: string): Promise<CrmRecord | undefined> {
  const unique = field === undefined ? model.uniqueFields[0] : model.uniqueFields.find((candidate) => candidate.field === field);
  if (!unique) return undefined;
  const guard = await deps.table.getItem(uniqueGuardKey(model.type, unique.field, unique.normalize(value)));
  return guard ? findRecord(deps, model, guard.recordId as string) : undefined;
}
