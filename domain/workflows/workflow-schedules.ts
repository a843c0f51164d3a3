import { itemToRecord } from '../records/record-items';
import type { CrmRecord } from '../records/record-model';
import type { CoreDependencies } from '../shared/dependencies';
import { partitionQueries } from '../shared/key-design';
import { openDealsByUpdate, recordQueries, recordsByDate } from '../shared/keys';
import { localTime } from '../shared/local-time';
import { forEachQueryPage } from '../shared/pagination';
import { recordTypeOfDateField, type ScheduleTrigger, type WorkflowSchedule } from './workflow';

/**
 * When a scheduled workflow is due, and which records it runs on. Pure but for the stale-deal
 * search, which reads through an index.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A schedule's slot: the local date it belongs to (the period) and its local date and time. */
export interface Slot {
  readonly period: string;
  /** `YYYY-MM-DD HH:MM`, local time: slots and instants compare as text. */
  readonly local: string;
}

/**
 * The latest slot of the schedule at or before `now`, in its time zone: today's `at` once it
 * has come (else the day before's), on the schedule's weekday for a weekly one. Dates are
 * visited in half-day steps, so none is skipped on a 23-hour day.
 */
export function currentSlot(schedule: WorkflowSchedule, now: Date): Slot | undefined {
  const today = localTime(now, schedule.timeZone);
  const seen = new Set<string>();
  for (let back = 0; back <= 16; back++) {
    const { date, day } = localTime(new Date(now.getTime() - back * 12 * HOUR), schedule.timeZone);
    if (seen.has(date)) continue;
    seen.add(date);
    if (schedule.every === 'week' && day !== schedule.weekday) continue;
    if (date === today.date && today.time < schedule.at) continue;
    return { period: date, local: `${date} ${schedule.at}` };
  }
  return undefined;
}

/** Whether a slot comes after an instant (when a workflow was enabled): a workflow fires no slot from before it was on. */
export function slotIsAfter(slot: Slot, instant: Date, timeZone: string): boolean {
  const { date, time } = localTime(instant, timeZone);
  return slot.local > `${date} ${time}`;
}

/** The period marker outlives any retry of its tick by weeks, then DynamoDB's TTL removes it. */
export const periodMarkerExpiry = (scheduledTime: Date) => Math.floor((scheduledTime.getTime() + 35 * DAY) / 1000);

/**
 * Open deals with no change and nothing on their timeline (an activity logged, a change) for
 * `days` days before `now`. Candidates come from openDealsByUpdate (open deals not updated
 * since the cutoff); each one's newest timeline entry, one Query of a single item, rules out
 * those with a later activity. The read grows with the open deals left untouched that long,
 * never with the table.
 */
export async function staleDeals(deps: Pick<CoreDependencies, 'table'>, days: number, now: Date): Promise<CrmRecord[]> {
  const cutoff = new Date(now.getTime() - days * DAY).toISOString();
  const candidates: CrmRecord[] = [];
  for (const query of partitionQueries(openDealsByUpdate.query({}, { updatedBefore: cutoff }))) {
    await forEachQueryPage(deps.table, query, 100, (items) => void candidates.push(...items.map((item) => itemToRecord(item)!).filter(Boolean)));
  }
  const stale: CrmRecord[] = [];
  for (const deal of candidates) {
    const { items } = await deps.table.query(recordQueries.timeline('deal', deal.id), { limit: 1 });
    const newest = items[0] ? recordQueries.timelineTimeOf(items[0].sk) : undefined;
    if (!newest || newest < cutoff) stale.push(deal);
  }
  return stale;
}

/** A calendar date `days` after `date` (YYYY-MM-DD), across months and years. */
const shiftDate = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);

/**
 * The open deals whose expected close date, or the open tasks whose due time (as a local
 * date in `timeZone`), is `offsetDays` from the period's date: "3 days before the close
 * date" is offsetDays -3, so on the 1st it finds deals closing on the 4th. Through
 * recordsByDate, one date's records (a due time, a few days' range filtered by local date).
 */
export async function recordsOnDate(deps: Pick<CoreDependencies, 'table'>, dateField: NonNullable<ScheduleTrigger['dateField']>, period: string, timeZone: string): Promise<CrmRecord[]> {
  const day = shiftDate(period, -dateField.offsetDays);
  const type = recordTypeOfDateField[dateField.field];
  const isInstant = dateField.field === 'dueAt';
  // An instant's local date is within a day of its UTC date.
  const range = isInstant ? { from: shiftDate(day, -1), to: shiftDate(day, 1) } : { from: day, to: day };
  const found: CrmRecord[] = [];
  for (const query of partitionQueries(recordsByDate.query({ type, field: dateField.field }, range))) {
    await forEachQueryPage(deps.table, query, 100, (items) => void found.push(...items.map((item) => itemToRecord(item)!).filter(Boolean)));
  }
  return isInstant ? found.filter((record) => localTime(new Date(record[dateField.field] as string), timeZone).date === day) : found;
}
