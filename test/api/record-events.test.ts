import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSubject } from '../../local/local-jwt';
import type { BusEvent } from '../../local/event-bus';
import { eventually } from '../support/eventually';
import { startTestApi, type TestApi } from '../support/api-server';
import { eventViolations } from '../support/event-schemas';

/**
 * Record events end to end on the local runtime: API writes → the table's stream → the event
 * publisher (functions/event-publisher.ts) → PutEvents on the local EventBridge endpoint →
 * the stage's bus. Every event is held to its published schema (schemas/events/).
 */

type Detail = {
  eventId: string;
  type: string;
  recordType: string;
  recordId: string;
  version: number;
  actor: { type: string; id: string };
  changes?: { field: string; from: unknown; to: unknown }[];
  record?: Record<string, unknown>;
};

const manager: TokenSubject = { kind: 'user', id: 'manager-9', role: 'manager' };
let api: TestApi;
beforeAll(async () => {
  // Waits of up to a minute, so a sequence's second step is still ahead when its run is stopped.
  api = await startTestApi({ automations: true, maxWaitSeconds: 60 });
});
afterAll(() => api.close());

/** The events about one subject, once the stream has been read to its end. */
async function eventsAbout(recordId: string): Promise<BusEvent[]> {
  await api.automations!.streams.drain();
  const response = await fetch(`${api.automations!.eventBridge.endpoint}/events`);
  const { events } = (await response.json()) as { events: BusEvent[] };
  return events.filter((event) => (event.detail as Detail).recordId === recordId || (event.detail as Detail).recordId.endsWith(`:${recordId}`));
}
const detailOf = (event: BusEvent) => event.detail as Detail;
const typesOf = (events: BusEvent[]) => events.map((event) => event['detail-type']);


describe('record events on the bus', () => {
  it('publish a contact created, updated and deleted, each once, with actor, version and changes', async () => {
    const created = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Ada', email: `ada-${Date.now()}@example.com` } });
    const id = created.json!.id;
    expect((await api.request('PATCH', `/v1/contacts/${id}`, { body: { lifecycleStage: 'customer' } })).status).toBe(200);
    expect((await api.request('DELETE', `/v1/contacts/${id}`)).status).toBe(204);

    const events = await eventsAbout(id);
    expect(typesOf(events)).toEqual(['contact.created', 'contact.updated', 'contact.deleted']);
    expect(events.map((event) => detailOf(event).version)).toEqual([1, 2, 2]);
    expect(detailOf(events[0]!)).toMatchObject({ actor: { type: 'user', id: 'test-admin' }, record: { firstName: 'Ada' } });
    expect(detailOf(events[1]!).changes).toEqual([{ field: 'lifecycleStage', from: 'lead', to: 'customer' }]);
    expect(new Set(events.map((event) => detailOf(event).eventId)).size).toBe(3);
    for (const event of events) expect(eventViolations(event), event['detail-type']).toEqual([]);
  });

  it('publish deal.stage_changed and deal.won when a deal is won, and task.completed', async () => {
    const deal = await api.request<{ id: string }>('POST', '/v1/deals', { body: { name: 'Renewal', amount: 1200, currency: 'EUR' } });
    expect((await api.request('PATCH', `/v1/deals/${deal.json!.id}`, { body: { stageId: 'closed_won' } })).status).toBe(200);
    const dealEvents = await eventsAbout(deal.json!.id);
    expect(typesOf(dealEvents)).toEqual(['deal.created', 'deal.updated', 'deal.stage_changed', 'deal.won']);
    expect(detailOf(dealEvents[2]!).changes).toEqual(expect.arrayContaining([{ field: 'stageId', from: 'appointment_scheduled', to: 'closed_won' }]));

    const task = await api.request<{ id: string }>('POST', '/v1/activities', { body: { kind: 'task', subject: 'Send the contract', assigneeId: 'test-admin' } });
    expect((await api.request('PATCH', `/v1/activities/${task.json!.id}`, { body: { taskStatus: 'done' } })).status).toBe(200);
    expect(typesOf(await eventsAbout(task.json!.id))).toEqual(['activity.created', 'activity.updated', 'task.completed']);
    for (const event of [...dealEvents, ...(await eventsAbout(task.json!.id))]) expect(eventViolations(event), event['detail-type']).toEqual([]);
  });

  it('publish an email sent and delivered, and an enrollment started and completed', async () => {
    const contact = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Grace', email: `grace-${Date.now()}@example.com` } });
    const contactId = contact.json!.id;
    const sent = await api.request<{ id: string }>('POST', `/v1/contacts/${contactId}/emails`, { body: { subject: 'Hello', text: 'A first note.' } });
    expect(sent.status, sent.text).toBe(201);
    // The email activity on the timeline has the message's id: its own activity.created is beside these.
    const emailEvents = await eventually(
      async () => (await eventsAbout(sent.json!.id)).filter((event) => detailOf(event).recordType === 'email'),
      (events) => events.length >= 2,
      'email.sent and email.delivered',
    );
    expect(typesOf(emailEvents)).toEqual(['email.sent', 'email.delivered']);
    expect(detailOf(emailEvents[1]!).actor).toEqual({ type: 'system', id: 'ses' });

    const sequence = await api.request<{ id: string }>('POST', '/v1/sequences', {
      body: { name: 'One step', steps: [{ delayMinutes: 0, subject: 'Hi {{firstName}}', text: 'Welcome.' }] },
      as: manager,
    });
    expect((await api.request('POST', `/v1/sequences/${sequence.json!.id}/enrollments`, { body: { contactId }, as: manager })).status).toBe(201);
    const enrollmentEvents = await eventually(
      async () => (await eventsAbout(contactId)).filter((event) => event['detail-type'].startsWith('enrollment.')),
      (events) => events.length >= 2,
      'enrollment.started and enrollment.completed',
    );
    expect(typesOf(enrollmentEvents)).toEqual(['enrollment.started', 'enrollment.completed']);
    expect(detailOf(enrollmentEvents[0]!)).toMatchObject({ recordId: `${sequence.json!.id}:${contactId}`, actor: { type: 'system', id: `sequence:${sequence.json!.id}` } });
    for (const event of [...emailEvents, ...enrollmentEvents]) expect(eventViolations(event), event['detail-type']).toEqual([]);
  });

  it("publish email.deleted for a contact's emails when the contact is deleted", async () => {
    const contact = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Gone', email: `gone-${Date.now()}@example.com` } });
    const sent = await api.request<{ id: string }>('POST', `/v1/contacts/${contact.json!.id}/emails`, { body: { subject: 'Bye', text: 'Soon gone.' } });
    expect(sent.status).toBe(201);
    expect((await api.request('DELETE', `/v1/contacts/${contact.json!.id}`)).status).toBe(204);
    const deleted = await eventually(
      async () => (await eventsAbout(sent.json!.id)).filter((event) => event['detail-type'] === 'email.deleted'),
      (events) => events.length === 1,
      'email.deleted',
    );
    expect(detailOf(deleted[0]!)).not.toHaveProperty('record');
    expect(eventViolations(deleted[0]!)).toEqual([]);
  });

  it('publish a batch of 60 contacts as 60 events, none twice', async () => {
    const inputs = Array.from({ length: 60 }, (_, n) => ({ firstName: `Bulk ${n}`, email: `bulk-${Date.now()}-${n}@example.com` }));
    const batch = await api.request<{ results: { record: { id: string } }[] }>('POST', '/v1/contacts/batch', { body: { inputs } });
    expect(batch.status, batch.text).toBe(200);
    const ids = new Set(batch.json!.results.map((result) => result.record.id));
    await api.automations!.streams.drain();
    const { events } = (await (await fetch(`${api.automations!.eventBridge.endpoint}/events?detail-type=contact.created`)).json()) as { events: BusEvent[] };
    const ofBatch = events.filter((event) => ids.has(detailOf(event).recordId));
    expect(ofBatch).toHaveLength(60);
    expect(new Set(ofBatch.map((event) => detailOf(event).eventId)).size).toBe(60);
  });
});

describe('sequences that stop when they should', () => {
  type Enrollment = { status: string; nextStep: number; stopReason?: string };
  const steps = [
    { delayMinutes: 0, subject: 'Hello {{firstName}}', text: 'A first note.' },
    { delayMinutes: 2 * 24 * 60, subject: 'Still there?', text: 'A second note.' },
  ];

  async function enrolled(sequenceId: string, name: string): Promise<string> {
    const contact = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: name, email: `${name.toLowerCase()}-${Date.now()}@example.com` } });
    const contactId = contact.json!.id;
    expect((await api.request('POST', `/v1/sequences/${sequenceId}/enrollments`, { body: { contactId }, as: manager })).status).toBe(201);
    // The first step is sent; the second waits two days.
    await eventually(
      () => enrollmentOf(sequenceId, contactId),
      (enrollment) => enrollment.nextStep === 1,
      `${name}'s first step`,
    );
    return contactId;
  }
  const enrollmentOf = async (sequenceId: string, contactId: string) => (await api.request<Enrollment>('GET', `/v1/sequences/${sequenceId}/enrollments/${contactId}`)).json!;
  const settled = async () => {
    await api.automations!.streams.drain();
    await api.automations!.eventBridge.drain();
  };

  it('stop when a deal the contact is on is won or lost, or a meeting is logged with them, and not otherwise', async () => {
    const sequence = (await api.request<{ id: string }>('POST', '/v1/sequences', { body: { name: 'Nurture', steps }, as: manager })).json!.id;
    const [won, lost, met, untouched] = (await Promise.all(['Wendy', 'Lars', 'Mia', 'Ursula'].map((name) => enrolled(sequence, name)))) as [string, string, string, string];

    const wonDeal = (await api.request<{ id: string }>('POST', '/v1/deals', { body: { name: 'Won', contactIds: [won] } })).json!.id;
    const lostDeal = (await api.request<{ id: string }>('POST', '/v1/deals', { body: { name: 'Lost', contactIds: [lost] } })).json!.id;
    const openDeal = (await api.request<{ id: string }>('POST', '/v1/deals', { body: { name: 'Open', contactIds: [untouched] } })).json!.id;
    expect((await api.request('PATCH', `/v1/deals/${wonDeal}`, { body: { stageId: 'closed_won' } })).status).toBe(200);
    expect((await api.request('PATCH', `/v1/deals/${lostDeal}`, { body: { stageId: 'closed_lost' } })).status).toBe(200);
    expect((await api.request('PATCH', `/v1/deals/${openDeal}`, { body: { stageId: 'contract_sent' } })).status).toBe(200);
    expect((await api.request('POST', '/v1/activities', { body: { kind: 'meeting', subject: 'Demo', contactIds: [met] } })).status).toBe(201);
    expect((await api.request('POST', '/v1/activities', { body: { kind: 'note', subject: 'Called', contactIds: [untouched] } })).status).toBe(201);
    await settled();

    expect(await enrollmentOf(sequence, won)).toMatchObject({ status: 'stopped', stopReason: 'deal-won' });
    expect(await enrollmentOf(sequence, lost)).toMatchObject({ status: 'stopped', stopReason: 'deal-lost' });
    expect(await enrollmentOf(sequence, met)).toMatchObject({ status: 'stopped', stopReason: 'meeting-booked' });
    expect(await enrollmentOf(sequence, untouched)).toMatchObject({ status: 'active', nextStep: 1 });
    // Each stop is an event too, with its reason.
    await settled();
    const stoppedEvent = (await eventsAbout(won)).find((event) => event['detail-type'] === 'enrollment.stopped');
    expect(detailOf(stoppedEvent!).changes).toEqual(expect.arrayContaining([{ field: 'stopReason', from: null, to: 'deal-won' }]));
  });
});
