import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { nextCursorOf, queryPage } from '../shared/cursor';
import { ValidationError } from '../shared/errors';
import { accessPatterns, keys } from '../shared/keys';
import { fitPage } from '../shared/page-budget';
import type { RecordDependencies } from './record-dependencies';
import { findByUniqueValue } from './get-record';
import { itemToRecord } from './record-items';
import type { CrmRecord, RecordModel } from './record-model';

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/**
 * One page of a list. Every filter maps to exactly one Query of a named access
 * pattern (never a Scan, never a filter expression), so a page costs the same at
 * any table size. Lists read from indexes, which are eventually consistent.
 */
export async function listRecords(deps: RecordDependencies, model: RecordModel, filters: Record<string, unknown>, actor: Actor): Promise<Page<CrmRecord>> {
  requireCapability(actor, 'readRecords', `list ${model.collection}`);
  const unique = model.uniqueField;
  const lookupValue = unique ? filters[unique.field] : undefined;
  if (typeof lookupValue === 'string') {
    const others = Object.keys(filters).filter((name) => name !== unique!.field && name !== 'limit' && filters[name] !== undefined);
    if (others.length > 0) {
      throw new ValidationError(`${unique!.field} looks one record up and takes no other filter or cursor.`, others.map((name) => ({ field: `query.${name}`, message: `not allowed with ${unique!.field}` })));
    }
    const record = await findByUniqueValue(deps, model, lookupValue);
    return { items: record ? [record] : [], nextCursor: null };
  }

  const query = model.listPattern(filters) ?? accessPatterns.recordsByType(model.type, filters.updatedSince as string | undefined);
  const page = await queryPage(deps.table, query, { limit: filters.limit as number, ...(typeof filters.cursor === 'string' ? { cursor: filters.cursor } : {}) });

  if (query.pattern !== 'linkedRecords') {
    return { items: page.items.map(itemToRecord).filter((record): record is CrmRecord => record !== undefined), nextCursor: nextCursorOf(query, page.lastKey) };
  }
  // Link items name the records; fetch them in one batch and keep the link order.
  const ids = page.items.map((link) => link.sourceId as string);
  const records = (await deps.table.getItems(ids.map((id) => keys.record(model.type, id)))).map(itemToRecord);
  const byId = new Map(records.filter((record): record is CrmRecord => record !== undefined).map((record) => [record.id, record]));
  const entries = page.items.flatMap((link) => {
    const record = byId.get(link.sourceId as string);
    return record ? [{ value: record, key: { pk: link.pk, sk: link.sk } }] : [];
  });
  const fitted = fitPage(entries, page.lastKey);
  return { items: fitted.items, nextCursor: nextCursorOf(query, fitted.lastKey) };
}
