import { requireCapability } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { NotFoundError } from '../shared/errors';
import { singlePartition } from '../shared/key-design';
import { recordKeys, recordQueries } from '../shared/keys';
import type { Page, PageRequest } from '../shared/page';
import { pageOf, queryList } from '../shared/pagination';
import type { FieldChange } from './field-changes';
import type { RecordDependencies } from './record-dependencies';
import { itemToRecord } from './record-items';
import { mergedInto } from './get-record';
import type { CrmRecord, RecordModel } from './record-model';

export type TimelineEntry =
  | { readonly kind: 'created' | 'updated' | 'merged'; readonly at: string; readonly actor: Pick<Actor, 'type' | 'id'>; readonly changes: FieldChange[]; readonly mergedFrom?: string }
  | { readonly kind: 'activity'; readonly at: string; readonly activity: CrmRecord };

/** A record's history, newest first: its field changes and the activities linked to it. */
export async function recordTimeline(deps: RecordDependencies, model: RecordModel, id: string, page: PageRequest, actor: Actor): Promise<Page<TimelineEntry>> {
  requireCapability(actor, 'readRecords', `read ${model.collection}`);
  const [record, list] = await Promise.all([deps.table.getItem(recordKeys.record(model.type, id)), queryList(deps.table, singlePartition(recordQueries.timeline(model.type, id)), page)]);
  if (!itemToRecord(record)) throw new NotFoundError(model.type, id, mergedInto(record));

  return pageOf(list, async (items) => {
    const activityIds = items.filter((item) => item.entity === 'link').map((item) => item.sourceId as string);
    const activities = new Map(
      (await deps.table.getItems(activityIds.map((activityId) => recordKeys.record('activity', activityId))))
        .map(itemToRecord)
        .filter((activity): activity is CrmRecord => activity !== undefined)
        .map((activity) => [activity.id, activity]),
    );
    return items.map((item): TimelineEntry | undefined => {
      if (item.entity === 'link') {
        const activity = activities.get(item.sourceId as string);
        return activity ? { kind: 'activity', at: activity.occurredAt as string, activity } : undefined;
      }
      // Who, not how: roles and request ids are audit detail, for admins (GET /v1/audit).
      const { type, id: actorId } = item.actor as Actor;
      const mergedFrom = typeof item.mergedFrom === 'string' ? { mergedFrom: item.mergedFrom } : {};
      return { kind: item.event as 'created' | 'updated' | 'merged', at: item.at as string, actor: { type, id: actorId }, changes: item.changes as FieldChange[], ...mergedFrom };
    });
  });
}
