import { describe, expect, it } from 'vitest';
import { isWithin, nextSendingMoment, sendingHoursSchema, type SendingHours } from '../../domain/sequences/sending-hours';

const berlinWorkdays: SendingHours = { timeZone: 'Europe/Berlin', days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:30' };

describe('sending hours', () => {
  it('let a step run now inside the hours, local time', () => {
    // Tuesday 2026-03-03 10:15 in Berlin (UTC+1 in winter).
    const now = new Date('2026-03-03T09:15:00.000Z');
    expect(isWithin(now, berlinWorkdays)).toBe(true);
    expect(nextSendingMoment(now, berlinWorkdays)).toBe(now);
  });

  it('move a step due at night to the next opening, and one on a Saturday to Monday morning', () => {
    expect(nextSendingMoment(new Date('2026-03-03T17:00:00.000Z'), berlinWorkdays).toISOString()).toBe('2026-03-04T08:00:00.000Z');
    expect(nextSendingMoment(new Date('2026-03-07T11:00:00.000Z'), berlinWorkdays).toISOString()).toBe('2026-03-09T08:00:00.000Z');
    // 17:30 is past the end; 17:29 is inside.
    expect(isWithin(new Date('2026-03-03T16:29:00.000Z'), berlinWorkdays)).toBe(true);
    expect(isWithin(new Date('2026-03-03T16:30:00.000Z'), berlinWorkdays)).toBe(false);
  });

  it('follow daylight saving time: 09:00 in Berlin is 07:00 UTC in summer', () => {
    // Saturday 2026-03-28, before the change on Sunday the 29th: the next opening is Monday, in summer time.
    expect(nextSendingMoment(new Date('2026-03-28T12:00:00.000Z'), berlinWorkdays).toISOString()).toBe('2026-03-30T07:00:00.000Z');
    expect(nextSendingMoment(new Date('2026-06-01T02:00:00.000Z'), { ...berlinWorkdays, timeZone: 'America/New_York' }).toISOString()).toBe('2026-06-01T13:00:00.000Z');
  });

  it('refuse an unknown time zone, a window that ends before it starts, and repeated days, naming the field', () => {
    const issues = (input: unknown) => sendingHoursSchema.safeParse(input).error?.issues.map((issue) => issue.path.join('.'));
    expect(issues({ ...berlinWorkdays, timeZone: 'Mars/Olympus' })).toEqual(['timeZone']);
    expect(issues({ ...berlinWorkdays, start: '18:00' })).toEqual(['end']);
    expect(issues({ ...berlinWorkdays, days: ['mon', 'mon'] })).toEqual(['days']);
    expect(issues({ ...berlinWorkdays, start: '9:00' })).toEqual(['start']);
  });
});
