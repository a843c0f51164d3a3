import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPoller } from '../../local/stream-poller';
import { startTestApi, type TestApi } from '../support/api-server';
import { pollStream } from '../support/stream-consumers';

/**
 * Candidate duplicates as the record indexer keeps them from the stream: each reason found,
 * pairs that stop matching, are dismissed, deleted or merged leave the list, and a group of
 * many records that share a phone number pairs every two of them, listed page by page.
 */

let api: TestApi;
let poller: StreamPoller;
beforeAll(async () => {
  api = await startTestApi({ streams: true });
  poller = await pollStream(api, 'recordIndexer', 'recordSweeper');
});
afterAll(async () => {
  await poller?.stop();
  await api?.close();
});

type Rec = Record<string, any> & { id: string };
const create = (collection: string, body: Record<string, unknown>) => api.create<Rec>(collection, body);

/** Every candidate pair of a collection, page by page: `<lower id> <higher id>` → reasons. */
async function candidates(collection: string, limit = 100): Promise<Map<string, string[]>> {
  const pairs = new Map<string, string[]>();
  let cursor: string | null = null;
  do {
    const response: { status: number; text: string; json?: Rec } = await api.request<Rec>('GET', `/v1/${collection}/duplicates?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.status, response.text).toBe(200);
    for (const candidate of response.json!.items) {
      expect(candidate.records.map((record: Rec) => record.id)).toEqual(candidate.recordIds);
      pairs.set(candidate.recordIds.join(' '), candidate.reasons);
    }
    cursor = response.json!.nextCursor;
  } while (cursor);
  return pairs;
}
const pairOf = (a: Rec, b: Rec) => [a.id, b.id].sort().join(' ');

describe('duplicate contacts', () => {
  it('finds each reason, and drops pairs that stop matching, are dismissed, deleted or merged', { timeout: 120_000 }, async () => {
    const acme = await create('companies', { name: 'Acme Rockets', domain: 'acme-dup.example' });
    const jose = await create('contacts', { firstName: 'José', lastName: 'Núñez', email: 'jose@acme-dup.example', companyIds: [acme.id] });
    const jose2 = await create('contacts', { firstName: 'jose', lastName: 'NUNEZ', companyIds: [acme.id] });
    const joseElsewhere = await create('contacts', { firstName: 'José', lastName: 'Núñez' });
    const ada = await create('contacts', { firstName: 'Ada', email: 'ada@acme-dup.example', companyIds: [acme.id] });
    const adaUk = await create('contacts', { firstName: 'A.', lastName: 'King', email: 'Ada@acme-dup.co.uk', companyIds: [acme.id] });
    const caller = await create('contacts', { firstName: 'Caller', phone: '+44 20 7946 0958' });
    const sameNumber = await create('contacts', { firstName: 'Other caller', phone: '44-20-7946-0958' });
    await create('contacts', { firstName: 'Nobody', lastName: 'Alike', phone: '555 0100' });
    await poller.drain();

    expect(await candidates('contacts')).toEqual(
      new Map([
        [pairOf(jose, jose2), ['nameAtCompany']],
        [pairOf(ada, adaUk), ['emailNameAtCompany']],
        [pairOf(caller, sameNumber), ['phone']],
      ]),
    );
    expect((await candidates('contacts')).has(pairOf(jose, joseElsewhere))).toBe(false);

    // A phone number changed: the pair goes.
    expect((await api.request('PATCH', `/v1/contacts/${sameNumber.id}`, { body: { phone: '+44 20 7946 0000' } })).status).toBe(200);
    // Dismissed: gone from the list, while the two still match.
    const dismissed = await api.request<Rec>('POST', '/v1/contacts/duplicates/dismiss', { body: { recordIds: [adaUk.id, ada.id] } });
    expect(dismissed.status, dismissed.text).toBe(200);
    expect(dismissed.json).toMatchObject({ recordIds: [ada.id, adaUk.id].sort(), reasons: ['emailNameAtCompany'], dismissedBy: 'test-admin' });
    await poller.drain();
    expect([...(await candidates('contacts')).keys()]).toEqual([pairOf(jose, jose2)]);

    // The other José moves to Acme: he pairs with both, by name.
    expect((await api.request('PATCH', `/v1/contacts/${joseElsewhere.id}`, { body: { companyIds: [acme.id] } })).status).toBe(200);
    await poller.drain();
    expect(await candidates('contacts')).toEqual(
      new Map([
        [pairOf(jose, jose2), ['nameAtCompany']],
        [pairOf(jose, joseElsewhere), ['nameAtCompany']],
        [pairOf(jose2, joseElsewhere), ['nameAtCompany']],
      ]),
    );

    // Merging one pair takes the merged contact out of every pair; deleting takes the deleted one out.
    expect((await api.request('POST', `/v1/contacts/${jose.id}/merge`, { body: { mergedId: jose2.id } })).status).toBe(200);
    await poller.drain();
    expect([...(await candidates('contacts')).keys()]).toEqual([pairOf(jose, joseElsewhere)]);
    expect((await api.request('DELETE', `/v1/contacts/${joseElsewhere.id}`)).status).toBe(204);
    await poller.drain();
    expect((await candidates('contacts')).size).toBe(0);
  });

  it('pairs every two of many contacts with one number, page by page', { timeout: 120_000 }, async () => {
    const group = await Promise.all(Array.from({ length: 8 }, (_, n) => create('contacts', { firstName: `Switchboard ${n}`, phone: '+1 (415) 555-2671' })));
    await poller.drain();
    const pairs = await candidates('contacts', 5);
    const expected = group.flatMap((a, i) => group.slice(i + 1).map((b) => pairOf(a, b)));
    expect([...pairs.keys()].sort()).toEqual(expected.sort());
    expect(new Set([...pairs.values()].flat())).toEqual(new Set(['phone']));
  });

  it('answers bad dismissals with a problem', async () => {
    const one = await create('contacts', { firstName: 'Solo' });
    const other = await create('contacts', { firstName: 'Duo' });
    expect((await api.request('POST', '/v1/contacts/duplicates/dismiss', { body: { recordIds: [one.id, one.id] } })).status).toBe(400);
    expect((await api.request('POST', '/v1/contacts/duplicates/dismiss', { body: { recordIds: [one.id] } })).status).toBe(400);
    const notAPair = await api.request<Rec>('POST', '/v1/contacts/duplicates/dismiss', { body: { recordIds: [one.id, other.id] } });
    expect(notAPair.status).toBe(404);
  });
});

describe('duplicate companies', () => {
  it('pairs the same name when one has no domain, not two with domains', { timeout: 60_000 }, async () => {
    const withDomain = await create('companies', { name: 'Initech Ltd', domain: 'initech-dup.example' });
    const bare = await create('companies', { name: 'INITECH ltd.' });
    await create('companies', { name: 'Initech Ltd', domain: 'initech-dup.co.uk' });
    await poller.drain();
    const pairs = await candidates('companies');
    // The two with domains pair with the bare one, not with each other.
    expect(pairs.get(pairOf(withDomain, bare))).toEqual(['companyName']);
    expect(pairs.size).toBe(2);
  });
});
