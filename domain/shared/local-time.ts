import * as z from './zod';

/**
 * Local time in a time zone, for what runs on a person's clock (sending hours, schedules):
 * through Intl, so daylight saving follows the IANA database the runtime ships.
 */

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

export const isTimeZone = (timeZone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
};

export const timeZone = z.string().check(z.refine(isTimeZone, 'an IANA time zone such as Europe/Berlin or America/New_York'));
export const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;
export const timeOfDay = z.string().check(z.regex(TIME_OF_DAY, 'a time of day such as 09:00'));

/** The date (YYYY-MM-DD), weekday and time of day (HH:MM) an instant is in a time zone. */
export function localTime(instant: Date, zone: string): { date: string; day: Weekday; time: string } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(instant);
  const part = (type: string) => parts.find((candidate) => candidate.type === type)!.value;
  return { date: `${part('year')}-${part('month')}-${part('day')}`, day: part('weekday').toLowerCase() as Weekday, time: `${part('hour')}:${part('minute')}` };
}
