import * as z from '../shared/zod';
import { localTime, TIME_OF_DAY, timeOfDay, timeZone, weekdays } from '../shared/local-time';

/**
 * When a sequence may send (and create tasks): days of the week and a time of day in a time
 * zone, as a salesperson's working hours. A step due outside them waits for the next
 * opening instead, so nobody gets a 3 a.m. follow-up.
 */

const TIME = TIME_OF_DAY;

export const sendingHoursSchema = z
  .strictObject({
    timeZone,
    days: z.array(z.enum(weekdays)).check(
      z.minLength(1),
      z.refine((days) => new Set(days).size === days.length, 'each day once'),
    ),
    start: timeOfDay,
    end: timeOfDay,
  })
  .check(
    // Only once both are times of day: a malformed one has its own issue.
    z.refine((hours) => !(TIME.test(hours.start) && TIME.test(hours.end)) || hours.start < hours.end, { message: 'start must be before end (the same day)', path: ['end'] }),
    z.meta({ id: 'SendingHours', description: 'Steps run only on these days between start and end, local time; one due outside waits for the next opening.' }),
  );
export type SendingHours = z.infer<typeof sendingHoursSchema>;

const MINUTE = 60_000;
/** The longest a step can wait for an opening: a week and a day covers any set of days. */
const SEARCH_LIMIT_MINUTES = 8 * 24 * 60;
const COARSE_STEP_MINUTES = 15;

export function isWithin(instant: Date, hours: SendingHours): boolean {
  const { day, time } = localTime(instant, hours.timeZone);
  return hours.days.includes(day) && time >= hours.start && time < hours.end;
}

/** `now` when it is within the hours, else the first minute of the next opening. */
export function nextSendingMoment(now: Date, hours: SendingHours): Date {
  if (isWithin(now, hours)) return now;
  const firstMinute = Math.ceil(now.getTime() / MINUTE) * MINUTE;
  // Openings start on a whole minute: find one coarsely, then the minute it starts.
  for (let offset = 0; offset <= SEARCH_LIMIT_MINUTES; offset += COARSE_STEP_MINUTES) {
    const candidate = firstMinute + offset * MINUTE;
    if (!isWithin(new Date(candidate), hours)) continue;
    let start = candidate;
    while (start - MINUTE >= firstMinute && isWithin(new Date(start - MINUTE), hours)) start -= MINUTE;
    return new Date(start);
  }
  // Unreachable with at least one day and start before end; sending now beats never.
  return now;
}
