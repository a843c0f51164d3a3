import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime } from '../../adapters/runtime';
import { contactModel } from '../../domain/records/contact';
import { mergeRecords } from '../../domain/records/merge-records';
import { modelOf } from '../../domain/records/record-models';
import { recordDependenciesOf } from '../../domain/records/record-dependencies';
import { scanningClient, tableScan } from '../../migrations/table-scan';
import type { StreamPoller } from '../../local/stream-poller';
import { startTestApi, testAdmin, type TestApi } from '../support/api-server';
import { pollStream } from '../support/stream-consumers';

/**
 * Merging two contacts (and two companies) that are one: the survivor ends up with every
 * link, activity, deal, email, enrollment and change of history the other had, checked
 * through the API and by reading the whole table; a merge cut off right after its
 * transaction is finished by the stream sweeper; racing merges leave one result.
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
const get = async (path: string) => (await api.request<Rec>('GET', path)).json!;

/** Every item of the table whose stored text names `id`. */
async function itemsNaming(id: string): Promise<Record<string, any>[]> {
  const config = loadConfig();
  const found: Record<string, any>[] = [];
  await tableScan(scanningClient(config), config.TABLE_NAME).forEachPage(async (items) => {
    for (const item of items) if (JSON.stringify(item).includes(id)) found.push(item);
  });
  return found;
}

/**
 * What still names a merged record besides its redirect and history (audit entries and timeline
 * changes, its own moved to the survivor and other records' changes of what they linked to):
 * live data that should have gone to the survivor.
 */
function leftBehind(items: readonly Record<string, any>[], mergedId: string): Record<string, any>[] {
  const history = new Set(['auditEntry', 'timelineChange']);
  // The report keeper's share of a record that went is taken back and expires a week later (docs/reports.md).
  const takenBack = (item: Record<string, any>) => item.entity === 'reportShare' && item.expiresAt !== undefined && Object.keys(item.added).length === 0;
  return items.filter((item) => !(item.entity === 'redirect' && item.id === mergedId) && !history.has(item.entity) && !takenBack(item));
}

async function rawGet(path: string): Promise<Response> {
  return fetch(new URL(path, api.url), { redirect: 'manual', headers: { authorization: `Bearer ${await api.tokenFor(testAdmin)}` } });
}

describe('merging contacts', () => {
  it('gives the survivor every link, activity, deal, email, enrollment and change, and leaves a redirect', { timeout: 120_000 }, async () => {
    const acme = await create('companies', { name: 'Acme', domain: 'acme-merge.example' });
    const initech = await create('companies', { name: 'Initech', domain: 'initech-merge.example' });
    const survivor = await create('contacts', { firstName: 'Ada', lastName: 'Byron', email: 'ada@old-merge.example', companyIds: [acme.id], tags: ['vip'] });
    const merged = await create('contacts', {
      firstName: 'Augusta',
      lastName: 'Byron',
      email: 'ada.lovelace@merge.example',
      phone: '+44 20 7946 0001',
      companyIds: [initech.id],
      tags: ['analyst', 'vip'],
    });
    expect((await api.request('PATCH', `/v1/contacts/${merged.id}`, { body: { title: 'Countess' } })).status).toBe(200);
    const deal = await create('deals', { name: 'Engine', contactIds: [merged.id], companyId: initech.id });
    const call = await create('activities', { kind: 'call', body: 'About the engine', contactIds: [merged.id] });
    const meeting = await create('activities', { kind: 'meeting', body: 'Both of her', contactIds: [merged.id, survivor.id] });
    const sent = await api.request<Rec>('POST', `/v1/contacts/${merged.id}/emails`, { body: { subject: 'Your notes', text: 'Thank you.' } });
    expect(sent.status, sent.text).toBe(201);
    const onlyMerged = await create('sequences', { name: 'Notes follow-up', steps: [{ delayMinutes: 600, subject: 'Hi', text: 'Checking in.' }] });
    const both = await create('sequences', { name: 'Newsletter', steps: [{ delayMinutes: 600, subject: 'News', text: 'News.' }] });
    for (const [sequence, contact] of [
      [onlyMerged, merged],
      [both, merged],
      [both, survivor],
    ] as const) {
      const enrolled = await api.request('POST', `/v1/sequences/${sequence.id}/enrollments`, { body: { contactId: contact.id } });
      expect(enrolled.status, enrolled.text).toBe(201);
    }
    await poller.drain();

    const response = await api.request<Rec>('POST', `/v1/contacts/${survivor.id}/merge`, { body: { mergedId: merged.id, takeFromMerged: ['email'] } });
    expect(response.status, response.text).toBe(200);
    expect(response.headers.get('etag')).toBe(`"${response.json!.version}"`);
    // The survivor's values stay, the merged one's fill what it lacked, lists join, and the email asked for wins.
    expect(response.json).toMatchObject({
      firstName: 'Ada',
      lastName: 'Byron',
      email: 'ada.lovelace@merge.example',
      phone: '+44 20 7946 0001',
      title: 'Countess',
      companyIds: [acme.id, initech.id],
      primaryCompanyId: acme.id,
      tags: ['vip', 'analyst'],
    });
    await poller.drain();

    // The merged id leads to the survivor: 308 with Location, and a client that follows it gets the survivor.
    const redirect = await rawGet(`/v1/contacts/${merged.id}`);
    expect(redirect.status).toBe(308);
    expect(redirect.headers.get('location')).toBe(`/v1/contacts/${survivor.id}`);
    expect((await api.request<Rec>('GET', `/v1/contacts/${merged.id}`)).json).toMatchObject({ id: survivor.id });
    const patchMerged = await api.request<Rec>('PATCH', `/v1/contacts/${merged.id}`, { body: { title: 'x' } });
    expect(patchMerged.status).toBe(404);

    // Unique values: the survivor's old address is free, the merged one's finds the survivor.
    expect((await get(`/v1/contacts?email=ada.lovelace@merge.example`)).items.map((contact: Rec) => contact.id)).toEqual([survivor.id]);
    await create('contacts', { email: 'ada@old-merge.example' });

    // Everything that pointed at the merged contact points at the survivor.
    expect((await get(`/v1/deals/${deal.id}`)).contactIds).toEqual([survivor.id]);
    expect((await get(`/v1/activities/${call.id}`)).contactIds).toEqual([survivor.id]);
    expect((await get(`/v1/activities/${meeting.id}`)).contactIds).toEqual([survivor.id]);
    expect((await get(`/v1/deals?contactId=${survivor.id}`)).items.map((item: Rec) => item.id)).toEqual([deal.id]);
    expect((await get(`/v1/contacts?companyId=${initech.id}`)).items.map((item: Rec) => item.id)).toEqual([survivor.id]);
    expect((await get(`/v1/contacts/${survivor.id}/emails`)).items.map((item: Rec) => item.id)).toEqual([sent.json!.id]);

    // The timeline: both activities, the merge, and the merged contact's own history.
    const timeline = (await get(`/v1/contacts/${survivor.id}/timeline?limit=100`)).items as Rec[];
    const activityIds = timeline.filter((entry) => entry.kind === 'activity').map((entry) => entry.activity.id);
    expect(activityIds).toEqual(expect.arrayContaining([call.id, meeting.id, sent.json!.id]));
    expect(timeline.filter((entry) => entry.kind === 'merged')).toEqual([expect.objectContaining({ mergedFrom: merged.id, actor: { type: 'user', id: 'test-admin' } })]);
    const history = timeline.filter((entry) => entry.mergedFrom === merged.id && entry.kind !== 'merged');
    expect(history.flatMap((entry) => entry.changes)).toContainEqual({ field: 'title', from: null, to: 'Countess' });

    // Enrollments: the one only the merged contact had is the survivor's now, as a new run; where both were, the survivor's stays.
    const moved = await api.request<Rec>('GET', `/v1/sequences/${onlyMerged.id}/enrollments/${survivor.id}`);
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({ contactId: survivor.id, status: 'active', nextStep: 0 });
    expect((await api.request('GET', `/v1/sequences/${onlyMerged.id}/enrollments/${merged.id}`)).status).toBe(404);
    expect((await get(`/v1/sequences/${both.id}/enrollments`)).items.map((item: Rec) => item.contactId)).toEqual([survivor.id]);

    // One audited operation, findable by the merged id.
    const audit = (await get(`/v1/audit?recordType=contact&recordId=${merged.id}`)).items as Rec[];
    expect(audit[0]).toMatchObject({ event: 'merged', changes: [{ field: 'mergedInto', from: null, to: survivor.id }] });

    // Nothing else in the whole table still names the merged contact.
    expect(leftBehind(await itemsNaming(merged.id), merged.id)).toEqual([]);

    // Other routes on the merged id say where it went.
    for (const [method, path] of [
      ['PATCH', `/v1/contacts/${merged.id}`],
      ['GET', `/v1/contacts/${merged.id}/emails`],
      ['GET', `/v1/contacts/${merged.id}/timeline`],
      ['POST', `/v1/contacts/${merged.id}/emails`],
    ] as const) {
      const answer = await api.request<Rec>(method, path, { body: method === 'GET' ? undefined : method === 'PATCH' ? { title: 'x' } : { subject: 'x', text: 'y' } });
      expect([answer.status, answer.json?.mergedInto], `${method} ${path}`).toEqual([404, survivor.id]);
    }

    // Sending the same merge again answers the survivor and changes nothing.
    const again = await api.request<Rec>('POST', `/v1/contacts/${survivor.id}/merge`, { body: { mergedId: merged.id } });
    expect(again.status, again.text).toBe(200);
    expect(again.json!.version).toBe(response.json!.version);
  });

  it('is finished by the stream sweeper when the request stops right after the merge', { timeout: 120_000 }, async () => {
    const survivor = await create('contacts', { firstName: 'Cut', lastName: 'Short' });
    const merged = await create('contacts', { firstName: 'Cut', lastName: 'Shorter', email: 'cut@merge.example' });
    const activities = await Promise.all(Array.from({ length: 30 }, (_, n) => create('activities', { kind: 'note', body: `note ${n}`, contactIds: [merged.id] })));
    await poller.drain();
    // The request's time runs out at once: the transaction commits, no link has moved yet.
    const deps = recordDependenciesOf(createRuntime());
    const outcome = await mergeRecords(deps, modelOf, contactModel, survivor.id, { mergedId: merged.id }, { actor: { type: 'user', id: 'test-admin', role: 'admin' }, hasTimeLeft: () => false });
    expect(outcome.status).toBe('pending');
    expect((await rawGet(`/v1/contacts/${merged.id}`)).status).toBe(308);
    await poller.drain();
    for (const activity of activities) expect((await get(`/v1/activities/${activity.id}`)).contactIds).toEqual([survivor.id]);
    expect((await rawGet(`/v1/contacts/${merged.id}`)).status).toBe(308);
    expect(leftBehind(await itemsNaming(merged.id), merged.id)).toEqual([]);
  });

  it('answers a merge sent again with the same Idempotency-Key with the survivor as it is', { timeout: 60_000 }, async () => {
    const survivor = await create('contacts', { firstName: 'Keyed', email: 'keyed@merge.example' });
    const merged = await create('contacts', { firstName: 'Keyed', lastName: 'Twice', phone: '+1 212 555 0199' });
    const send = () => api.request<Rec>('POST', `/v1/contacts/${survivor.id}/merge`, { body: { mergedId: merged.id }, headers: { 'idempotency-key': `merge-${survivor.id}` } });
    const first = await send();
    expect(first.status, first.text).toBe(200);
    expect(first.headers.get('content-location')).toBe(`/v1/contacts/${survivor.id}`);
    const replayed = await send();
    expect(replayed.status).toBe(200);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.json).toMatchObject({ id: survivor.id, lastName: 'Twice', phone: '+1 212 555 0199', version: first.json!.version });
  });

  it('lets one of two racing merges of the same pair win', { timeout: 60_000 }, async () => {
    const left = await create('contacts', { firstName: 'Left', email: 'left@merge.example' });
    const right = await create('contacts', { firstName: 'Right', email: 'right@merge.example' });
    const [a, b] = await Promise.all([
      api.request<Rec>('POST', `/v1/contacts/${left.id}/merge`, { body: { mergedId: right.id } }),
      api.request<Rec>('POST', `/v1/contacts/${right.id}/merge`, { body: { mergedId: left.id } }),
    ]);
    const winners = [a, b].filter((response) => response.status === 200);
    expect(winners, `${a.status} ${a.text}\n${b.status} ${b.text}`).toHaveLength(1);
    const loser = [a, b].find((response) => response.status !== 200)!;
    expect([400, 404]).toContain(loser.status);
    const survivorId = winners[0]!.json!.id;
    const mergedId = survivorId === left.id ? right.id : left.id;
    expect((await rawGet(`/v1/contacts/${mergedId}`)).status).toBe(308);
    expect((await rawGet(`/v1/contacts/${survivorId}`)).status).toBe(200);
  });

  it('answers bad merges with a problem', async () => {
    const one = await create('contacts', { firstName: 'One' });
    const other = await create('contacts', { firstName: 'Other', ownerId: 'test-admin' });
    const self = await api.request<Rec>('POST', `/v1/contacts/${one.id}/merge`, { body: { mergedId: one.id } });
    expect(self.status).toBe(400);
    const missing = await api.request<Rec>('POST', `/v1/contacts/${one.id}/merge`, { body: { mergedId: 'NOSUCHCONTACT' } });
    expect(missing.status).toBe(400);
    expect(missing.json!.errors).toEqual([{ field: 'body.mergedId', message: 'contact NOSUCHCONTACT does not exist' }]);
    const noValue = await api.request<Rec>('POST', `/v1/contacts/${one.id}/merge`, { body: { mergedId: other.id, takeFromMerged: ['phone'] } });
    expect(noValue.status).toBe(400);
    expect(noValue.json!.errors).toEqual([{ field: 'body.takeFromMerged.0', message: 'the merged record has no value for phone' }]);
    const stale = await api.request<Rec>('POST', `/v1/contacts/${one.id}/merge`, { body: { mergedId: other.id }, headers: { 'if-match': '"99"' } });
    expect(stale.status).toBe(412);
    const member = await api.request<Rec>('POST', `/v1/contacts/${one.id}/merge`, { body: { mergedId: other.id }, as: { kind: 'user', id: 'someone', role: 'member' } });
    expect(member.status).toBe(403);
    const notAField = await api.request<Rec>('POST', `/v1/contacts/${one.id}/merge`, { body: { mergedId: other.id, takeFromMerged: ['createdAt', 'jobTitle'] } });
    expect(notAField.json!.errors.map((error: Rec) => error.message)).toEqual([expect.stringMatching(/^createdAt is not a field a client sets/), expect.stringMatching(/^jobTitle is not a field a client sets/)]);
    const unknownField = await api.request<Rec>('POST', `/v1/contacts/${one.id}/merge`, { body: { mergedId: other.id, keep: 'all' } });
    expect(unknownField.status).toBe(400);
    // None of these merged anything.
    expect((await rawGet(`/v1/contacts/${other.id}`)).status).toBe(200);
  });
});

describe('merging companies', () => {
  it("moves the merged company's contacts, primary company and deals to the survivor and frees its domain", { timeout: 60_000 }, async () => {
    const survivor = await create('companies', { name: 'Globex', domain: 'globex-merge.example' });
    const merged = await create('companies', { name: 'Globex Corp', domain: 'globex-corp-merge.example', industry: 'Energy' });
    const contact = await create('contacts', { firstName: 'Hank', companyIds: [merged.id], primaryCompanyId: merged.id });
    const both = await create('contacts', { firstName: 'Both', companyIds: [survivor.id, merged.id] });
    const deal = await create('deals', { name: 'Globex power', companyId: merged.id });
    await poller.drain();
    const response = await api.request<Rec>('POST', `/v1/companies/${survivor.id}/merge`, { body: { mergedId: merged.id } });
    expect(response.status, response.text).toBe(200);
    expect(response.json).toMatchObject({ name: 'Globex', domain: 'globex-merge.example', industry: 'Energy' });
    await poller.drain();
    expect(await get(`/v1/contacts/${contact.id}`)).toMatchObject({ companyIds: [survivor.id], primaryCompanyId: survivor.id });
    expect((await get(`/v1/contacts/${both.id}`)).companyIds).toEqual([survivor.id]);
    expect((await get(`/v1/deals/${deal.id}`)).companyId).toBe(survivor.id);
    expect((await get(`/v1/contacts?companyId=${survivor.id}`)).items.map((item: Rec) => item.id).sort()).toEqual([contact.id, both.id].sort());
    // The merged company's domain is free again.
    await create('companies', { name: 'Globex Corp (new)', domain: 'globex-corp-merge.example' });
    const events = (await rawGet(`/v1/companies/${merged.id}`)).status;
    expect(events).toBe(308);
    expect(leftBehind(await itemsNaming(merged.id), merged.id)).toEqual([]);
  });
});
