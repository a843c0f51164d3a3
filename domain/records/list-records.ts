import { requireCapability } from '../access/permissions';
import { searchRecords } from '../search/search-records';
import { isSearchable } from '../search/search-terms';
import type { Actor } from '../shared/actor';
import { ValidationError } from '../shared/errors';
import { recordKeys } from '../shared/keys';
import { planList } from './list-views';
import type { Page } from '../shared/page';
import { listPage, pageOf, queryList } from '../shared/pagination';
import type { RecordDependencies } from './record-dependencies';
import { findByUniqueValue } from './get-record';
import { itemToRecord } from './record-items';
import type { CrmRecord, RecordModel } from './record-model';

/**
 * One page of a list. Every combination of filters, sort and range maps to exactly one list
 * of a named access pattern (list-views.ts; never a Scan, never a filter expression), so a
 * page costs the same at any table size. Lists read from indexes, which are eventually
 * consistent; a list of entries reads its records and leaves out any that no longer match.
 */
export async function listRecords(deps: RecordDependencies, model: RecordModel, filters: Record<string, unknown>, actor: Actor): Promise<Page<CrmRecord>> {
  requireCapability(actor, 'readRecords', `list ${model.collection}`);
  const unique = model.uniqueFields.find((candidate) => typeof filters[candidate.field] === 'string');
  const lookupValue = unique ? filters[unique.field] : undefined;
  if (typeof lookupValue === 'string') {
    const others = Object.keys(filters).filter((name) => name !== unique!.field && name !== 'limit' && filters[name] !== undefined);
    if (others.length > 0) {
      throw new ValidationError(`${unique!.field} looks one record up and takes no other filter or cursor.`, others.map((name) => ({ field: `query.${name}`, message: `not allowed with ${unique!.field}` })));
    }
    const record = await findByUniqueValue(deps, model, lookupValue, unique!.field);
    return { items: record ? [record] : [], nextCursor: null };
  }

  if (typeof filters.q === 'string' && isSearchable(model.type)) {
    const others = Object.keys(filters).filter((name) => !['q', 'limit', 'cursor'].includes(name) && filters[name] !== undefined);
    if (others.length > 0) {
      throw new ValidationError('q searches on its own: it takes no other filter.', others.map((name) => ({ field: `query.${name}`, message: 'not allowed with q' })));
    }
    const found = await searchRecords(deps, { q: filters.q, types: [model.type], limit: filters.limit as number, ...(typeof filters.cursor === 'string' ? { cursor: filters.cursor } : {}) }, actor);
    return { items: found.items.map((hit) => hit.record), nextCursor: found.nextCursor };
  }

  // Only a list by a custom property needs their definitions: the others spare the definitions' partition a read.
  const byProperty = Object.keys(filters).some((key) => key.startsWith('properties.')) || String(filters.sort ?? '').startsWith('properties.');
  const plan = planList(model.type, model.lists, byProperty ? await deps.propertyDefinitions(model.type) : [], filters);
  const page = { limit: filters.limit as number, ...(typeof filters.cursor === 'string' ? { cursor: filters.cursor } : {}) };
  if (plan.kind === 'records' && plan.query.pattern !== 'linkedRecords') {
    return listPage(deps.table, plan.query, page, itemToRecord, { readLegacy: await deps.layout.readsLegacyPartitions() });
  }

  // Links and list entries name the records: fetch them in one batch and keep the list's order.
  const matches = plan.kind === 'entries' ? plan.matches : () => true;
  return pageOf(await queryList(deps.table, plan.query, page), async (named) => {
    const ids = named.map((item) => (plan.kind === 'entries' ? item.recordId : item.sourceId) as string);
    const records = (await deps.table.getItems(ids.map((id) => recordKeys.record(model.type, id)))).map(itemToRecord);
    const byId = new Map(records.filter((record): record is CrmRecord => record !== undefined && matches(record)).map((record) => [record.id, record]));
    return ids.map((id) => byId.get(id));
  });
}
