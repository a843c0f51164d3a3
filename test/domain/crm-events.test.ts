import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emailMessageToItem } from '../../domain/email/email-message-items';
import type { EmailMessage } from '../../domain/email/email-message';
import { crmEventsOf, crmEventTypes, entrySize, MAX_ENTRY_BYTES, type CrmEvent } from '../../domain/events/crm-events';
import { publishInOrder, type EventPublisher } from '../../domain/events/publish-events';
import { activityModel } from '../../domain/records/activity';
import { contactModel } from '../../domain/records/contact';
import { dealModel } from '../../domain/records/deal';
import { recordToItem } from '../../domain/records/record-items';
import type { RecordModel } from '../../domain/records/record-model';
import type { Enrollment } from '../../domain/sequences/sequence';
import { enrollmentToItem } from '../../domain/sequences/sequence-items';
import type { TableChange } from '../../domain/shared/table-change';
import type { Item } from '../../domain/shared/table-port';
import { exampleEvents } from '../../schemas/event-examples';
import { EVENTS_DOC, eventSchemaFile, eventSchemaText, withCurrentCatalogue } from '../../schemas/event-schema-files';
import { delivered, eventViolations } from '../support/event-schemas';

const at = (day: number) => `2026-03-0${day}T10:00:00.000Z`;
const user = { type: 'user', id: 'u1', role: 'member' };
const recordItem = (model: RecordModel, record: Record<string, unknown>, changedBy: object = user) => ({ ...recordToItem(model, record as never), changedBy });
const change = (before: Item | undefined, after: Item | undefined, kind: TableChange['kind'] = before ? 'modified' : 'inserted'): TableChange => ({
  kind,
  key: { pk: (after ?? before)!.pk, sk: (after ?? before)!.sk },
  entity: String((after ?? before)!.entity),
  ...(before ? { before } : {}),
  ...(after ? { after } : {}),
  sequence: '1',
});

const contact = { id: 'C1', firstName: 'Ada', email: 'ada@example.com', lifecycleStage: 'lead', companyIds: [], tags: [], properties: {}, createdAt: at(1), updatedAt: at(1), version: 1 };
const deal = {
  id: 'D1',
  name: 'Renewal',
  amount: 1200,
  currency: 'EUR',
  pipelineId: 'default',
  stageId: 'qualified',
  status: 'open',
  probability: 20,
  closedAt: null,
  contactIds: ['C1'],
  tags: [],
  properties: {},
  createdAt: at(1),
  updatedAt: at(1),
  version: 1,
};
const task = {
  id: 'A1',
  kind: 'task',
  subject: 'Call back',
  occurredAt: at(1),
  taskStatus: 'open',
  assigneeId: 'u1',
  contactIds: ['C1'],
  companyIds: [],
  dealIds: [],
  createdAt: at(1),
  updatedAt: at(1),
  version: 1,
};
const message: EmailMessage = {
  id: 'M1',
  contactId: 'C1',
  to: 'ada@example.com',
  subject: 'Hello',
  text: 'A note',
  status: 'sending',
  source: { kind: 'api' },
  sentBy: { type: 'user', id: 'u1' },
  createdAt: at(1),
  updatedAt: at(1),
  version: 1,
};
const enrollment: Enrollment = { sequenceId: 'S1', contactId: 'C1', runId: 'R1', status: 'active', nextStep: 0, starting: true, enrolledBy: 'u1', enrolledAt: at(1), updatedAt: at(1), version: 1 };

const types = (events: CrmEvent[]) => events.map((event) => event.detailType);

describe('events of committed changes', () => {
  it('are created, updated and deleted for records, with actor, version, changes and the record after', () => {
    const created = crmEventsOf(change(undefined, recordItem(contactModel, contact)));
    expect(types(created)).toEqual(['contact.created']);
    expect(created[0]!.detail).toMatchObject({ eventId: 'contact.created/C1/1', recordType: 'contact', recordId: 'C1', version: 1, path: '/v1/contacts/C1', actor: { type: 'user', id: 'u1' } });
    expect(created[0]!.detail.record).toMatchObject({ firstName: 'Ada' });
    expect(created[0]!.detail.record).not.toHaveProperty('changedBy');

    const next = { ...contact, lifecycleStage: 'customer', updatedAt: at(2), version: 2 };
    const [updated] = crmEventsOf(change(recordItem(contactModel, contact), recordItem(contactModel, next, { type: 'client', id: 'sync', role: 'member' })));
    expect(updated!.detail).toMatchObject({ type: 'contact.updated', version: 2, occurredAt: at(2), actor: { type: 'client', id: 'sync' }, changedFields: ['lifecycleStage'] });
    expect(updated!.detail.changes).toEqual([{ field: 'lifecycleStage', from: 'lead', to: 'customer' }]);

    const tombstone = { pk: 'CONTACT#C1', sk: 'RECORD', entity: 'tombstone', id: 'C1', deletedAt: at(3), deletedBy: { type: 'user', id: 'u2', role: 'admin' } };
    const [deleted] = crmEventsOf(change(recordItem(contactModel, next), tombstone));
    expect(deleted!.detail).toMatchObject({ type: 'contact.deleted', eventId: 'contact.deleted/C1/2', version: 2, actor: { type: 'user', id: 'u2' } });
    // A deleted contact's personal data is not sent around again.
    expect(deleted!.detail).not.toHaveProperty('record');
  });

  it('are the same, id and all, for the same change delivered twice', () => {
    const twice = () => crmEventsOf(change(undefined, recordItem(contactModel, contact)));
    expect(twice()).toEqual(twice());
  });

  it('raise deal.stage_changed and deal.won when a deal moves to a won stage', () => {
    const won = { ...deal, stageId: 'won', status: 'won', probability: 100, closedAt: at(2), updatedAt: at(2), version: 2 };
    const events = crmEventsOf(change(recordItem(dealModel, deal), recordItem(dealModel, won)));
    expect(types(events)).toEqual(['deal.updated', 'deal.stage_changed', 'deal.won']);
    expect(events[1]!.detail.changes).toEqual(expect.arrayContaining([{ field: 'stageId', from: 'qualified', to: 'won' }]));
    expect(events.map((event) => event.detail.eventId)).toEqual(['deal.updated/D1/2', 'deal.stage_changed/D1/2', 'deal.won/D1/2']);
    // Another change of the won deal is no second win.
    const renamed = { ...won, name: 'Renewal 2027', updatedAt: at(3), version: 3 };
    expect(types(crmEventsOf(change(recordItem(dealModel, won), recordItem(dealModel, renamed))))).toEqual(['deal.updated']);
    const lost = { ...deal, stageId: 'lost', status: 'lost', probability: 0, closedAt: at(2), updatedAt: at(2), version: 2 };
    expect(types(crmEventsOf(change(recordItem(dealModel, deal), recordItem(dealModel, lost))))).toEqual(['deal.updated', 'deal.stage_changed', 'deal.lost']);
  });

  it('raise task.completed once, when a task is marked done', () => {
    const done = { ...task, taskStatus: 'done', updatedAt: at(2), version: 2 };
    expect(types(crmEventsOf(change(recordItem(activityModel, task), recordItem(activityModel, done))))).toEqual(['activity.updated', 'task.completed']);
    const edited = { ...done, subject: 'Called back', updatedAt: at(3), version: 3 };
    expect(types(crmEventsOf(change(recordItem(activityModel, done), recordItem(activityModel, edited))))).toEqual(['activity.updated']);
  });

  it("follow an email's status as the mail service reports it, each once", () => {
    const sending = emailMessageToItem(message);
    const sent = emailMessageToItem({ ...message, status: 'sent', providerMessageId: 'ses-1', updatedAt: at(2), version: 2 });
    const delivered = emailMessageToItem({ ...message, status: 'delivered', providerMessageId: 'ses-1', updatedAt: at(3), version: 3 });
    expect(crmEventsOf(change(undefined, sending))).toEqual([]);
    const [sentEvent] = crmEventsOf(change(sending, sent));
    expect(sentEvent!.detail).toMatchObject({ type: 'email.sent', recordType: 'email', recordId: 'M1', path: '/v1/emails/M1', actor: { type: 'user', id: 'u1' } });
    expect(crmEventsOf(change(sent, delivered))[0]!.detail).toMatchObject({ type: 'email.delivered', actor: { type: 'system', id: 'ses' } });
    // A duplicate SES event that changes nothing raises nothing.
    expect(crmEventsOf(change(delivered, delivered))).toEqual([]);
  });

  it('raise email.sent too when the delivery report overtook the send, and nothing for a claim released because nothing was sent', () => {
    const sending = emailMessageToItem(message);
    const delivered = emailMessageToItem({ ...message, status: 'delivered', providerMessageId: 'ses-1', updatedAt: at(3), version: 2 });
    const events = crmEventsOf(change(sending, delivered));
    expect(types(events)).toEqual(['email.sent', 'email.delivered']);
    expect(events.map((event) => event.detail.actor)).toEqual([{ type: 'user', id: 'u1' }, { type: 'system', id: 'ses' }]);
    expect(crmEventsOf({ kind: 'removed', key: { pk: sending.pk, sk: sending.sk }, entity: 'emailMessage', before: sending, sequence: '8' })).toEqual([]);
  });

  it("raise email.deleted, without the email's text, when its contact's deletion removes it", () => {
    const sent = emailMessageToItem({ ...message, status: 'sent', sentBy: { type: 'system', id: 'sequence:S1', onBehalfOf: 'u1' }, version: 2 });
    const [event] = crmEventsOf({ kind: 'removed', key: { pk: sent.pk, sk: sent.sk }, entity: 'emailMessage', before: sent, committedAt: at(4), sequence: '9' });
    expect(event!.detail).toMatchObject({ type: 'email.deleted', recordId: 'M1', version: 2, occurredAt: at(4), changedFields: [] });
    expect(event!.detail).not.toHaveProperty('record');
    // A sequence's email names whoever enrolled the contact.
    expect(crmEventsOf(change(emailMessageToItem(message), sent))[0]!.detail.actor).toEqual({ type: 'system', id: 'sequence:S1', onBehalfOf: 'u1' });
  });

  it('follow an enrollment from start to stop or completion, and a new run starts again', () => {
    const started = crmEventsOf(change(undefined, enrollmentToItem(enrollment)));
    expect(started[0]!.detail).toMatchObject({
      type: 'enrollment.started',
      recordType: 'enrollment',
      recordId: 'S1:C1',
      path: '/v1/sequences/S1/enrollments/C1',
      actor: { id: 'sequence:S1', onBehalfOf: 'u1' },
    });
    const advanced = { ...enrollment, starting: false, nextStep: 1, version: 2 };
    expect(crmEventsOf(change(enrollmentToItem(enrollment), enrollmentToItem(advanced)))).toEqual([]);
    const stopped = { ...advanced, status: 'stopped' as const, stopReason: 'stopped-by-user' as const, version: 3 };
    expect(crmEventsOf(change(enrollmentToItem(advanced), enrollmentToItem(stopped)))[0]!.detail.changes).toEqual([
      { field: 'status', from: 'active', to: 'stopped' },
      { field: 'stopReason', from: null, to: 'stopped-by-user' },
    ]);
    const completed = { ...advanced, status: 'completed' as const, version: 3 };
    expect(types(crmEventsOf(change(enrollmentToItem(advanced), enrollmentToItem(completed))))).toEqual(['enrollment.completed']);
    const failed = { ...advanced, status: 'failed' as const, lastError: 'ServiceUnavailableError: paused', version: 3 };
    expect(crmEventsOf(change(enrollmentToItem(advanced), enrollmentToItem(failed)))[0]!.detail).toMatchObject({
      type: 'enrollment.failed',
      changes: [
        { field: 'status', from: 'active', to: 'failed' },
        { field: 'lastError', from: null, to: 'ServiceUnavailableError: paused' },
      ],
    });
    const again = { ...enrollment, runId: 'R2', version: 4 };
    expect(types(crmEventsOf(change(enrollmentToItem(completed), enrollmentToItem(again))))).toEqual(['enrollment.started']);
  });

  it("carry a reference instead of the record when the event would pass EventBridge's 256 KB", () => {
    const notes = 'x'.repeat(300_000);
    const big = { ...contact, properties: { notes }, version: 2, updatedAt: at(2) };
    const [event] = crmEventsOf(change(recordItem(contactModel, contact), recordItem(contactModel, big)));
    expect(entrySize(event!)).toBeLessThanOrEqual(MAX_ENTRY_BYTES);
    expect(event!.detail).toMatchObject({ truncated: true, changedFields: ['properties.notes'], path: '/v1/contacts/C1', version: 2 });
    expect(event!.detail).not.toHaveProperty('record');
  });

  it('raise nothing for other items and for the sweep that removes a tombstone', () => {
    const pipeline = { pk: 'PIPELINE#P1', sk: 'RECORD', entity: 'pipeline', id: 'P1', version: 2 };
    expect(crmEventsOf(change({ ...pipeline, version: 1 }, pipeline))).toEqual([]);
    const tombstone = { pk: 'CONTACT#C1', sk: 'RECORD', entity: 'tombstone', id: 'C1', deletedAt: at(3) };
    expect(crmEventsOf(change(tombstone, undefined, 'removed'))).toEqual([]);
  });
});

describe('published event schemas', () => {
  it('are the files in schemas/events and the catalogue of docs/events.md, current with the code (npm run events:schemas writes them)', () => {
    for (const type of crmEventTypes) expect(readFileSync(eventSchemaFile(type), 'utf8'), `schemas/events/${type}.json is stale: npm run events:schemas`).toBe(eventSchemaText(type));
    const doc = readFileSync(EVENTS_DOC, 'utf8');
    expect(doc === withCurrentCatalogue(doc), 'docs/events.md lists other events than the code raises: npm run events:schemas').toBe(true);
  });

  it("hold every type's example, as the real code raised it", () => {
    const examples = exampleEvents();
    for (const type of crmEventTypes) expect(eventViolations(delivered(examples[type])), type).toEqual([]);
    // And they are no rubber stamp.
    expect(eventViolations(delivered({ ...examples['contact.created'], detail: { ...examples['contact.created'].detail, version: 'one' } }))).not.toEqual([]);
    expect(eventViolations(delivered({ ...examples['deal.won'], detail: { ...examples['deal.won'].detail, record: { ...examples['deal.won'].detail.record, amount: 'a lot' } } }))).not.toEqual([]);
  });
});

describe('publishing in order', () => {
  const event = (id: number) => crmEventsOf(change(undefined, recordItem(contactModel, { ...contact, id: `C${id}` })))[0]!;
  const clock = { now: () => new Date(), sleep: async () => {} };

  /** A bus that fails the entries `fail` names, by event id, as often as it says. */
  function bus(fail: Record<string, number> = {}) {
    const requests: string[][] = [];
    const publisher: EventPublisher = {
      async putEvents(events) {
        requests.push(events.map((entry) => entry.detail.recordId));
        const failed = events.flatMap((entry, index) => ((fail[entry.detail.recordId] ?? 0) > 0 ? (fail[entry.detail.recordId]!--, [{ index, reason: 'ThrottlingException: Rate exceeded' }]) : []));
        return { failed };
      },
    };
    return { publisher, requests };
  }

  it('sends up to 10 entries per request, in order', async () => {
    const { publisher, requests } = bus();
    const outcome = await publishInOrder(
      { publisher, clock },
      Array.from({ length: 23 }, (_, index) => [event(index)]),
    );
    expect(outcome).toEqual({ published: 23 });
    expect(requests.map((request) => request.length)).toEqual([10, 10, 3]);
    expect(requests.flat()).toEqual(Array.from({ length: 23 }, (_, index) => `C${index}`));
  });

  it('keeps each request within 256 KB', async () => {
    const { publisher, requests } = bus();
    const large = (id: number) => crmEventsOf(change(undefined, recordItem(contactModel, { ...contact, id: `C${id}`, properties: { notes: 'x'.repeat(60_000) } })))[0]!;
    await publishInOrder({ publisher, clock }, [[large(1)], [large(2)], [large(3)], [large(4)], [large(5)]]);
    expect(requests.map((request) => request.length)).toEqual([4, 1]);
  });

  it('tries a failed entry again, alone, and counts each event once', async () => {
    const { publisher, requests } = bus({ C2: 2 });
    const outcome = await publishInOrder({ publisher, clock }, [[event(1)], [event(2)], [event(3)]]);
    expect(outcome).toEqual({ published: 3 });
    expect(requests).toEqual([['C1', 'C2', 'C3'], ['C2'], ['C2']]);
  });

  it('stops at a request it cannot get through and names the first change not published', async () => {
    const { publisher, requests } = bus({ C12: 99 });
    const outcome = await publishInOrder(
      { publisher, clock },
      Array.from({ length: 25 }, (_, index) => [event(index)]),
    );
    expect(outcome).toEqual({ published: 19, unpublished: { change: 12, reason: 'ThrottlingException: Rate exceeded' } });
    // Nothing after the failed request was sent: the stream hands the batch back from change 12.
    expect(requests.flat()).not.toContain('C20');
  });

  it('treats a request that fails as a whole like failed entries', async () => {
    let calls = 0;
    const publisher: EventPublisher = {
      async putEvents() {
        calls++;
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
      },
    };
    expect(await publishInOrder({ publisher, clock }, [[event(1)]])).toEqual({ published: 0, unpublished: { change: 0, reason: 'TimeoutError: socket hang up' } });
    expect(calls).toBe(6);
  });
});
