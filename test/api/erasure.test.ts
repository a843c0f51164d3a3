import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime } from '../../adapters/runtime';
import { personalDataOf } from '../../domain/privacy/personal-data';
import { companyModel } from '../../domain/records/company';
import { deleteRecord } from '../../domain/records/delete-record';
import { modelOf } from '../../domain/records/record-models';
import { scanningClient, tableScan } from '../../migrations/table-scan';
import type { StreamPoller } from '../../local/stream-poller';
import { startTestApi, type TestApi } from '../support/api-server';
import { pollStream } from '../support/stream-consumers';

/**
 * Erasing a person (DELETE of a contact) with the stream consumers that copy record data
 * elsewhere running (search terms and list entries, report shares, the sweeper), checked by
 * reading the whole table afterwards: none of the person's values is left anywhere.
 */

let api: TestApi;
let poller: StreamPoller;
beforeAll(async () => {
  api = await startTestApi({ streams: true });
  poller = await pollStream(api, 'recordIndexer', 'reportKeeper', 'recordSweeper');
});
afterAll(async () => {
  await poller?.stop();
  await api?.close();
});

type Rec = Record<string, any> & { id: string };
const create = (collection: string, body: Record<string, unknown>) => api.create<Rec>(collection, body);

/** Every item of the table whose stored text holds one of `needles` (case-folded). */
async function itemsHolding(needles: readonly string[]): Promise<Record<string, unknown>[]> {
  const config = loadConfig();
  const found: Record<string, unknown>[] = [];
  await tableScan(scanningClient(config), config.TABLE_NAME).forEachPage(async (items) => {
    for (const item of items) {
      const text = JSON.stringify(item).toLowerCase();
      if (needles.some((needle) => text.includes(needle.toLowerCase()))) found.push(item);
    }
  });
  return found;
}

describe('erasing a contact', () => {
  it('deletes the activities about them alone, unlinks shared ones, and leaves none of their values in the table', { timeout: 60_000 }, async () => {
    const company = await create('companies', { name: 'Keepco', domain: 'keepco.example' });
    const person = await create('contacts', { firstName: 'Zebulon', lastName: 'Quixwell', email: 'zeb.quixwell@example.org', phone: '+44 20 7946 0958', companyIds: [company.id] });
    expect((await api.request('PATCH', `/v1/contacts/${person.id}`, { body: { title: 'Chief Quixwell Officer' } })).status).toBe(200);
    const deal = await create('deals', { name: 'Keepco renewal', contactIds: [person.id], companyId: company.id });
    const call = await create('activities', { kind: 'call', body: 'Quixwell asked about his invoice', contactIds: [person.id] });
    const task = await create('activities', { kind: 'task', subject: 'Send Zebulon the form', contactIds: [person.id] });
    const shared = await create('activities', { kind: 'meeting', body: 'Renewal meeting', contactIds: [person.id], dealIds: [deal.id] });
    const sent = await api.request<Rec>('POST', `/v1/contacts/${person.id}/emails`, { body: { subject: 'Your Quixwell invoice', text: 'Dear Zebulon, attached.' } });
    expect(sent.status, sent.text).toBe(201);
    const sequence = await create('sequences', { name: 'Renewal nudges', steps: [{ delayMinutes: 60, subject: 'Hi {{firstName}}', text: 'Checking in.' }] });
    expect((await api.request('POST', `/v1/sequences/${sequence.id}/enrollments`, { body: { contactId: person.id } })).status).toBe(201);
    expect((await api.request('POST', '/v1/email-suppressions', { body: { email: 'Zeb.Quixwell@example.org' } })).status).toBe(201);
    await poller.drain();
    expect((await itemsHolding(['quixwell'])).length).toBeGreaterThan(3);

    // What a data subject access request answers: every part of the person's data, from the routes that list each.
    const document = await api.request<Rec>('GET', `/v1/contacts/${person.id}/personal-data`);
    expect(document.status, document.text).toBe(200);
    const data = document.json!;
    expect(data).toMatchObject({ complete: true, contact: { id: person.id, email: 'zeb.quixwell@example.org', title: 'Chief Quixwell Officer' } });
    const changes = data.history.items.filter((entry: Rec) => entry.kind !== 'activity');
    expect(changes.flatMap((entry: Rec) => entry.changes)).toContainEqual({ field: 'title', from: null, to: 'Chief Quixwell Officer' });
    expect(data.history.items.filter((entry: Rec) => entry.kind === 'activity').map((entry: Rec) => entry.activity.id).sort()).toEqual(
      expect.arrayContaining([call.id, task.id, shared.id].sort()),
    );
    expect(data.emails).toMatchObject({ complete: true, next: null, items: [{ id: sent.json!.id, subject: 'Your Quixwell invoice' }] });
    expect(data.enrollments).toEqual([expect.objectContaining({ sequenceId: sequence.id, contactId: person.id })]);
    expect(data.suppression).toMatchObject({ email: 'zeb.quixwell@example.org', reason: 'unsubscribe' });
    expect(data.audit.items.map((entry: Rec) => entry.event)).toEqual(['updated', 'created']);
    // Admins only: it holds every audit detail.
    expect((await api.request('GET', `/v1/contacts/${person.id}/personal-data`, { as: { kind: 'user', id: 'm-1', role: 'manager' } })).status).toBe(403);

    expect((await api.request('DELETE', `/v1/contacts/${person.id}`)).status).toBe(204);
    await poller.drain();

    for (const id of [call.id, task.id]) expect((await api.request('GET', `/v1/activities/${id}`)).status, id).toBe(404);
    const sharedAfter = (await api.request<Rec>('GET', `/v1/activities/${shared.id}`)).json!;
    expect(sharedAfter).toMatchObject({ body: 'Renewal meeting', contactIds: [], dealIds: [deal.id] });
    expect((await api.request<Rec>('GET', `/v1/deals/${deal.id}`)).json!.contactIds).toEqual([]);
    expect((await api.request<Rec>('GET', `/v1/companies/${company.id}`)).status).toBe(200);

    expect((await api.request('GET', `/v1/contacts/${person.id}/personal-data`)).status).toBe(404);
    expect(await itemsHolding(['quixwell', 'zebulon', '2079460958', '7946 0958', 'his invoice'])).toEqual([]);
    // The erasure itself is audited, without values: who deleted which contact, when.
    const audit = await api.request<{ items: Rec[] }>('GET', `/v1/audit?recordType=contact&recordId=${person.id}`);
    expect(audit.json!.items.map((entry) => entry.event)).toContain('deleted');
    const callAudit = await api.request<{ items: Rec[] }>('GET', `/v1/audit?recordType=activity&recordId=${call.id}`);
    expect(callAudit.json!.items[0]).toMatchObject({ event: 'deleted', actor: { onBehalfOf: expect.any(String) } });

    // They asked never to be emailed: that holds, under a hash of the address, for whoever has it next.
    const hashed = `sha256:${createHash('sha256').update('zeb.quixwell@example.org').digest('hex')}`;
    expect((await api.request<Rec>('GET', '/v1/email-suppressions/Zeb.Quixwell@example.org')).json).toMatchObject({ email: hashed, reason: 'unsubscribe' });
    const suppressionAudit = await api.request<{ items: Rec[] }>('GET', `/v1/audit?recordType=suppression&recordId=${hashed}`);
    expect(suppressionAudit.json!.items.map((entry) => entry.event)).toEqual(['created']);
    const newcomer = await create('contacts', { firstName: 'New', email: 'zeb.quixwell@example.org' });
    const refused = await api.request<Rec>('POST', `/v1/contacts/${newcomer.id}/emails`, { body: { subject: 'Hello', text: 'Hi' } });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.json).toMatchObject({ reason: 'suppressed' });
  });

  it('only unlinks an activity that gained another link while the erasure read it', async () => {
    const person = await create('contacts', { firstName: 'Solo', email: 'solo.person@example.org' });
    const other = await create('contacts', { firstName: 'Other', email: 'other.person@example.org' });
    const note = await create('activities', { kind: 'note', body: 'About both', contactIds: [person.id] });
    // Linked elsewhere before the delete: the condition on the version read keeps it.
    await api.request('PATCH', `/v1/activities/${note.id}`, { body: { contactIds: [person.id, other.id] } });
    expect((await api.request('DELETE', `/v1/contacts/${person.id}`)).status).toBe(204);
    expect((await api.request<Rec>('GET', `/v1/activities/${note.id}`)).json).toMatchObject({ contactIds: [other.id] });
  });

  it('moves the suppression of an address the person had before under its hash too, and the hashed entry answers adds and removals', async () => {
    const person = await create('contacts', { firstName: 'Mover', email: 'old.mover@example.org' });
    expect((await api.request('POST', '/v1/email-suppressions', { body: { email: 'old.mover@example.org', reason: 'manual' } })).status).toBe(201);
    expect((await api.request('PATCH', `/v1/contacts/${person.id}`, { body: { email: 'new.mover@example.org' } })).status).toBe(200);
    expect((await api.request('DELETE', `/v1/contacts/${person.id}`)).status).toBe(204);
    expect(await itemsHolding(['old.mover', 'new.mover'])).toEqual([]);

    const hashed = `sha256:${createHash('sha256').update('old.mover@example.org').digest('hex')}`;
    const again = await api.request<Rec>('POST', '/v1/email-suppressions', { body: { email: 'old.mover@example.org' } });
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ email: hashed, reason: 'manual' });
    const manager = { kind: 'user', id: 'mgr-1', role: 'manager' } as const;
    expect((await api.request('DELETE', '/v1/email-suppressions/old.mover@example.org', { as: manager })).status).toBe(204);
    expect((await api.request('GET', '/v1/email-suppressions/old.mover@example.org')).status).toBe(404);
  });

  it('erases an activity whose other links are being deleted too: another contact erased at once, a company whose delete is pending', async () => {
    const [a, b, c] = (await Promise.all(['a', 'b', 'c'].map((n) => create('contacts', { firstName: `Pair ${n}`, email: `pair.${n}@example.org` })))) as [Rec, Rec, Rec];
    const company = await create('companies', { name: 'Goneco', domain: 'goneco.example' });
    const both = await create('activities', { kind: 'note', body: 'About the pair', contactIds: [a.id, b.id] });
    const withCompany = await create('activities', { kind: 'call', body: 'C and Goneco', contactIds: [c.id], companyIds: [company.id] });

    const [deletedA, deletedB] = await Promise.all([api.request('DELETE', `/v1/contacts/${a.id}`), api.request('DELETE', `/v1/contacts/${b.id}`)]);
    expect([deletedA.status, deletedB.status]).toEqual([204, 204]);
    expect((await api.request('GET', `/v1/activities/${both.id}`)).status).toBe(404);

    // The company tombstoned, its sweep left for later (as when its DELETE answered 202).
    const runtime = createRuntime(loadConfig());
    expect(await deleteRecord(runtime, modelOf, companyModel, company.id, { actor: { type: 'user', id: 'test-admin', role: 'admin' }, hasTimeLeft: () => false })).toBe('pending');
    expect((await api.request('DELETE', `/v1/contacts/${c.id}`)).status).toBe(204);
    expect((await api.request('GET', `/v1/activities/${withCompany.id}`)).status).toBe(404);
  });

  it('splits a document too large for one response at a page boundary, naming the request that lists the rest', { timeout: 60_000 }, async () => {
    const person = await create('contacts', { firstName: 'Verbose', email: 'verbose.person@example.org' });
    for (let change = 0; change < 5; change++) {
      expect((await api.request('PATCH', `/v1/contacts/${person.id}`, { body: { title: `Title number ${change}` } })).status).toBe(200);
    }
    const admin = { type: 'user', id: 'dpo', role: 'admin' } as const;
    const runtime = createRuntime(loadConfig());
    const full = await personalDataOf(runtime, person.id, admin);
    expect(full).toMatchObject({ complete: true, history: { complete: true, next: null } });
    expect(full.history.items).toHaveLength(6);
    const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
    const head = bytes({ contact: full.contact, enrollments: full.enrollments });

    // Room for the contact, the history and the (empty) emails, not the audit entries: that part names its route.
    const withoutAudit = await personalDataOf(runtime, person.id, admin, head + bytes(full.history.items) + bytes([]) + 10);
    expect(withoutAudit).toMatchObject({ complete: false, history: { complete: true }, emails: { complete: true }, audit: { complete: false, items: [] } });
    expect(withoutAudit.audit.next).toBe(`/v1/audit?recordType=contact&recordId=${person.id}&limit=100`);
    const audit = await api.request<{ items: Rec[] }>('GET', withoutAudit.audit.next!);
    expect(audit.json!.items).toEqual(full.audit.items);

    // Room for the contact alone: the history stops before its first page, and its route gives all of it.
    const contactOnly = await personalDataOf(runtime, person.id, admin, head + 10);
    expect(contactOnly.history).toEqual({ items: [], complete: false, next: `/v1/contacts/${person.id}/timeline?limit=100` });
    const history = await api.request<{ items: Rec[]; nextCursor: string | null }>('GET', contactOnly.history.next!);
    expect(history.json).toEqual({ items: full.history.items, nextCursor: null });
  });

});
