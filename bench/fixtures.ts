import type { BenchApi } from './bench-environment';

/** Data the routes under test need, created through the API itself (setup, never timed). */

const BATCH_SIZE = 100;

/** Creates records through POST /v1/{collection}/batch and returns their ids, in input order. */
export async function createThroughBatch(api: BenchApi, collection: string, inputs: readonly unknown[]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < inputs.length; start += BATCH_SIZE) {
    const { body } = await api.call('POST', `/v1/${collection}/batch`, { inputs: inputs.slice(start, start + BATCH_SIZE) }, 200);
    ids.push(...(body.results as { record: { id: string } }[]).map((result) => result.record.id));
  }
  return ids;
}

export const TIMELINE_UPDATES = 10;
export const TIMELINE_ACTIVITIES = 5;

/**
 * A contact with a history: created, changed TIMELINE_UPDATES times, and linked to
 * TIMELINE_ACTIVITIES activities, so one timeline page holds both kinds of entry and
 * the route has to fetch the activities it shows.
 */
export async function createTimelineContact(api: BenchApi): Promise<string> {
  const { body: contact } = await api.call('POST', '/v1/contacts', { firstName: 'Timeline', lastName: 'Probe', email: 'timeline.probe@bench.example' }, 201);
  for (let change = 1; change <= TIMELINE_UPDATES; change++) {
    await api.call('PATCH', `/v1/contacts/${contact.id}`, { title: `Title ${change}` }, 200);
  }
  for (let activity = 1; activity <= TIMELINE_ACTIVITIES; activity++) {
    const occurredAt = new Date(Date.UTC(2026, 0, activity, 10)).toISOString();
    await api.call('POST', '/v1/activities', { kind: 'note', subject: `Note ${activity}`, body: 'Discussed the renewal.', occurredAt, contactIds: [contact.id] }, 201);
  }
  return contact.id as string;
}
