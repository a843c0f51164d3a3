import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { nextCursorOf, queryPage, type PageRequest } from '../shared/cursor';
import { NotFoundError } from '../shared/errors';
import { accessPatterns, keys } from '../shared/keys';
import { fitPage, type PageEntry } from '../shared/page-budget';
import type { FieldChange } from './field-changes';
import type { RecordDependencies } from './record-dependencies';
import { itemToRecord } from './record-items';
import type { CrmRecord, RecordModel } from './record-model';
import type { Page } from './list-records';

export type TimelineEntry =
  | { readonly kind: 'created' | 'updated'; readonly at: string; readonly actor: Pick<Actor, 'type' | 'id'>; readonly changes: FieldChange[] }
  | { readonly kind: 'activity'; readonly at: string; readonly activity: CrmRecord };

/** A record's history, newest first: its field changes and the activities linked to it. */
export async function recordTimeline(
  deps: RecordDependencies,
  model: RecordModel,
  id: string,
  page: PageRequest,
  actor: Actor,
): Promise<Page<TimelineEntry>> {
  requireCapability(actor, 'readRecords', `read ${model.collection}`);
  const query = accessPatterns.timeline(model.type, id);
  const [record, result] = await Promise.all([deps.table.getItem(keys.record(model.type, id)), queryPage(deps.table, query, page)]);
  if (!itemToRecord(record)) throw new NotFoundError(model.type, id);

  const activityIds = result.items.filter((item) => item.entity === 'link').map((item) => item.sourceId as string);
  const activities = new Map(
    (await deps.table.getItems(activityIds.map((activityId) => keys.record('activity', activityId))))
      .map(itemToRecord)
      .filter((activity): activity is CrmRecord => activity !== undefined)
      .map((activity) => [activity.id, activity]),
  );
  const entries = result.items.flatMap((item): PageEntry<TimelineEntry>[] => {
    const key = { pk: item.pk, sk: item.sk };
    if (item.entity === 'link') {
      const activity = activities.get(item.sourceId as string);
      return activity ? [{ key, value: { kind: 'activity', at: activity.occurredAt as string, activity } }] : [];
    }
    // Who, not how: roles and request ids are audit detail, for admins (GET /v1/audit).
    const { type, id: actorId } = item.actor as Actor;
    return [{ key, value: { kind: item.event as 'created' | 'updated', at: item.at as string, actor: { type, id: actorId }, changes: item.changes as FieldChange[] } }];
  });
  const { items, lastKey } = fitPage(entries, result.lastKey);
  return { items, nextCursor: nextCursorOf(query, lastKey) };
}
