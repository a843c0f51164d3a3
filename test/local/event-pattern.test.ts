import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from '../../local/event-pattern';
import { functionManifest } from '../../functions/manifest';

const tombstoneInsert = { eventName: 'INSERT', dynamodb: { NewImage: { entity: { S: 'tombstone' }, pk: { S: 'CONTACT#1' } } } };

describe('event filter patterns, as the stack declares them', () => {
  const [pattern] = functionManifest.recordSweeper.trigger.filterPatterns;

  it('lets tombstones through on insert and modify', () => {
    expect(matchesEventPattern(pattern, tombstoneInsert)).toBe(true);
    expect(matchesEventPattern(pattern, { ...tombstoneInsert, eventName: 'MODIFY' })).toBe(true);
  });

  it('keeps out other items, removals and records without a new image', () => {
    expect(matchesEventPattern(pattern, { eventName: 'INSERT', dynamodb: { NewImage: { entity: { S: 'contact' } } } })).toBe(false);
    expect(matchesEventPattern(pattern, { ...tombstoneInsert, eventName: 'REMOVE' })).toBe(false);
    expect(matchesEventPattern(pattern, { eventName: 'REMOVE', dynamodb: {} })).toBe(false);
  });

  it('starts sequence runs only for active enrollments that are starting (new, or resumed after a failure)', () => {
    const [starter] = functionManifest.sequenceStarter.trigger.filterPatterns;
    const enrollment = (fields: Record<string, unknown>) => ({ eventName: 'MODIFY', dynamodb: { NewImage: { entity: { S: 'enrollment' }, status: { S: 'active' }, starting: { BOOL: true }, ...fields } } });
    expect(matchesEventPattern(starter, enrollment({}))).toBe(true);
    expect(matchesEventPattern(starter, enrollment({ starting: { BOOL: false } }))).toBe(false);
    expect(matchesEventPattern(starter, enrollment({ status: { S: 'stopped' } }))).toBe(false);
  });

  it('matches an array in the event when any element matches, as EventBridge does', () => {
    const pattern = { detail: { mail: { tags: { 'ses:configuration-set': ['crm-prod'] } } } };
    expect(matchesEventPattern(pattern, { detail: { mail: { tags: { 'ses:configuration-set': ['crm-prod'] } } } })).toBe(true);
    expect(matchesEventPattern(pattern, { detail: { mail: { tags: { 'ses:configuration-set': ['crm-dev'] } } } })).toBe(false);
    expect(matchesEventPattern(pattern, { detail: { mail: { tags: {} } } })).toBe(false);
  });

  it("takes $or: any alternative, besides the rest (the sequence stopper's won or lost deals, and meetings only)", () => {
    const stopper = functionManifest.sequenceStopper.trigger.eventPattern;
    const event = (type: string, record: Record<string, unknown>) => ({ source: 'crm', 'detail-type': type, detail: { record } });
    expect(matchesEventPattern(stopper, event('deal.won', { status: 'won' }))).toBe(true);
    expect(matchesEventPattern(stopper, event('deal.lost', {}))).toBe(true);
    expect(matchesEventPattern(stopper, event('activity.created', { kind: 'meeting' }))).toBe(true);
    expect(matchesEventPattern(stopper, event('activity.created', { kind: 'note' }))).toBe(false);
    expect(matchesEventPattern(stopper, event('deal.updated', {}))).toBe(false);
    expect(matchesEventPattern(stopper, { ...event('deal.won', {}), source: 'other' })).toBe(false);
  });

  it('refuses rules it does not implement instead of guessing', () => {
    expect(() => matchesEventPattern({ eventName: [{ prefix: 'IN' }] }, tombstoneInsert)).toThrow(/Unsupported/);
  });
});
