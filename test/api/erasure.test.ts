import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
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
  api = await startTestApi();
  poller = await pollStream(api, 'recordIndexer', 'reportKeeper', 'recordSweeper');
});
afterAll(async () => {
  await poller?.stop();
  await api?.close();
});

type Rec = Record<string, any> & { id: string };
async function create(collection: string, body: Record<string, unknown>): Promise<Rec> {
  const response = await api.request<Rec>('POST', `/v1/${collection}`, { body });
  expect(response.status, response.text).toBe(201);
  return response.json!;
}

/** Every item of the table whose stored text holds one of `needles` (case-folded). */
async function itemsHolding(needles: readonly string[]): Promise<Record<string, unknown>[]> {
  const config = loadConfig();
  const found: Record<string, unknown>[] = [];
  await tableScan(scanningClient(config), config.TABLE_NAME).forEachPage((items) => {
    for (const item of items) {
      const text = JSON.stringify(item).toLowerCase();
      if (needles.some((needle) => text.includes(needle.toLowerCase()))) found.push(item);
    }
  });
  return found;
}

describe('erasing a contact', () => {
  it('deletes the activities about them alone, unlinks shared ones, and leaves none of their values in the table', async () => {
    const company = await create('companies', { name: 'Keepco', domain: 'keepco.example' });
    const person = await create('contacts', { firstName: 'Zebulon', lastName: 'Quixwell', email: 'zeb.quixwell@example.org', phone: '+44 20 7946 0958', companyIds: [company.id] });
    await api.request('PATCH', `/v1/contacts/${person.id}`, { body: { jobTitle: 'Chief Quixwell Officer' } });
    const deal = await create('deals', { name: 'Keepco renewal', contactIds: [person.id], companyId: company.id });
    const call = await create('activities', { kind: 'call', body: 'Quixwell asked about his invoice', contactIds: [person.id] });
    const task = await create('activities', { kind: 'task', subject: 'Send Zebulon the form', contactIds: [person.id] });
    const shared = await create('activities', { kind: 'meeting', body: 'Renewal meeting', contactIds: [person.id], dealIds: [deal.id] });
    await poller.drain();
    expect((await itemsHolding(['quixwell'])).length).toBeGreaterThan(3);

    expect((await api.request('DELETE', `/v1/contacts/${person.id}`)).status).toBe(204);
    await poller.drain();

    for (const id of [call.id, task.id]) expect((await api.request('GET', `/v1/activities/${id}`)).status, id).toBe(404);
    const sharedAfter = (await api.request<Rec>('GET', `/v1/activities/${shared.id}`)).json!;
    expect(sharedAfter).toMatchObject({ body: 'Renewal meeting', contactIds: [], dealIds: [deal.id] });
    expect((await api.request<Rec>('GET', `/v1/deals/${deal.id}`)).json!.contactIds).toEqual([]);
    expect((await api.request<Rec>('GET', `/v1/companies/${company.id}`)).status).toBe(200);

    expect(await itemsHolding(['quixwell', 'zebulon', '2079460958', '7946 0958', 'his invoice'])).toEqual([]);
    // The erasure itself is audited, without values: who deleted which contact, when.
    const audit = await api.request<{ items: Rec[] }>('GET', `/v1/audit?recordType=contact&recordId=${person.id}`);
    expect(audit.json!.items.map((entry) => entry.event)).toContain('deleted');
    const callAudit = await api.request<{ items: Rec[] }>('GET', `/v1/audit?recordType=activity&recordId=${call.id}`);
    expect(callAudit.json!.items[0]).toMatchObject({ event: 'deleted', actor: { onBehalfOf: expect.any(String) } });
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
});
