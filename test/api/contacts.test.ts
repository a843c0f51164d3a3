import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { scanningClient } from '../../migrations/table-scan';
import { startTestApi, type TestApi } from '../support/api-server';

type Contact = { id: string; email?: string; firstName?: string; lifecycleStage: string; version: number; companyIds: string[]; primaryCompanyId?: string; properties?: Record<string, unknown> };
type Problem = { type: string; status: number; detail: string; errors?: { field: string; message: string }[] };
type Page<T> = { items: T[]; nextCursor: string | null };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('contacts over HTTP', () => {
  it('creates, reads with an ETag, updates and deletes a contact', async () => {
    const created = await api.request<Contact>('POST', '/v1/contacts', { body: { firstName: 'Ada', lastName: 'Lovelace', email: 'Ada@Example.com' } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ firstName: 'Ada', email: 'Ada@Example.com', lifecycleStage: 'lead', version: 1 });

    const read = await api.request<Contact>('GET', `/v1/contacts/${created.json!.id}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('etag')).toBe('"1"');

    const updated = await api.request<Contact>('PATCH', `/v1/contacts/${created.json!.id}`, { body: { lifecycleStage: 'customer' }, headers: { 'if-match': '"1"' } });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ lifecycleStage: 'customer', version: 2 });

    const stale = await api.request<Problem>('PATCH', `/v1/contacts/${created.json!.id}`, { body: { title: 'CEO' }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toContain('application/problem+json');

    const staleDelete = await api.request('DELETE', `/v1/contacts/${created.json!.id}`, { headers: { 'if-match': '"1"' } });
    expect(staleDelete.status).toBe(412);
    expect((await api.request('DELETE', `/v1/contacts/${created.json!.id}`)).status).toBe(204);
    expect((await api.request('GET', `/v1/contacts/${created.json!.id}`)).status).toBe(404);
    expect((await api.request('DELETE', `/v1/contacts/${created.json!.id}`)).status).toBe(404);
  });

  it('keeps emails unique case-insensitively and frees them on delete', async () => {
    const first = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'grace@navy.mil' } });
    const clash = await api.request<Problem & { field: string; existingId: string }>('POST', '/v1/contacts', { body: { email: 'GRACE@navy.mil' } });
    expect(clash.status).toBe(409);
    expect(clash.json!.type).toContain('unique-value-taken');
    // It says which record holds the value.
    expect(clash.json).toMatchObject({ field: 'email', existingId: first.json!.id });

    const found = await api.request<Page<Contact>>('GET', '/v1/contacts?email=Grace%40Navy.mil');
    expect(found.json!.items.map((contact) => contact.id)).toEqual([first.json!.id]);

    await api.request('DELETE', `/v1/contacts/${first.json!.id}`);
    expect((await api.request('POST', '/v1/contacts', { body: { email: 'grace@navy.mil' } })).status).toBe(201);
  });

  it('lets only one of many concurrent creates take an email', async () => {
    const attempts = await Promise.all(Array.from({ length: 8 }, () => api.request('POST', '/v1/contacts', { body: { email: 'race@example.com' } })));
    expect(attempts.map((attempt) => attempt.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('rejects bad input with field-level problem details', async () => {
    const bad = await api.request<Problem>('POST', '/v1/contacts', { body: { email: 'not-an-email', lifecycleStage: 'king', id: 'mine', version: 7 } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    const fields = bad.json!.errors!.map((error) => error.field);
    expect(fields).toEqual(expect.arrayContaining(['body.email', 'body.lifecycleStage', 'body.id', 'body.version']));

    expect((await api.request('POST', '/v1/contacts', { body: '{"email": ' , headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await api.request('POST', '/v1/contacts', { body: 'email=x', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await api.request('POST', '/v1/contacts', { body: {} })).status).toBe(400);
    expect((await api.request('GET', '/v1/contacts?limit=101')).status).toBe(400);
    expect((await api.request('GET', '/v1/contacts?colour=red')).status).toBe(400);
  });

  it('answers 413 for a body over 1 MB', async () => {
    const response = await api.request<Problem>('POST', '/v1/contacts', { body: { firstName: 'x'.repeat(1024 * 1024) } });
    expect(response.status).toBe(413);
  });

  it('paginates with opaque cursors and refuses tampered ones', async () => {
    await api.addOwners('owner-pages');
    for (let index = 0; index < 5; index++) await api.request('POST', '/v1/contacts', { body: { firstName: `Page${index}`, ownerId: 'owner-pages' } });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { json?: Page<Contact> } = await api.request<Page<Contact>>('GET', `/v1/contacts?ownerId=owner-pages&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.json!.items.map((contact) => contact.firstName!));
      cursor = page.json!.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(['Page0', 'Page1', 'Page2', 'Page3', 'Page4']);

    const first = await api.request<Page<Contact>>('GET', '/v1/contacts?ownerId=owner-pages&limit=2');
    const decoded = JSON.parse(Buffer.from(first.json!.nextCursor!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...decoded, s: { 0: ['2026-01-01T00:00:00.000Z#x', 'CONTACT#x'] } })).toString('base64url');
    expect((await api.request('GET', `/v1/contacts?ownerId=owner-pages&cursor=${forged}`)).status).toBe(400);
    // A cursor of one owner's list is not a cursor of another's.
    expect((await api.request('GET', `/v1/contacts?ownerId=someone-else&cursor=${first.json!.nextCursor}`)).status).toBe(400);
    expect((await api.request('GET', '/v1/contacts?cursor=%%%garbage')).status).toBe(400);
    expect((await api.request('GET', `/v1/contacts?lifecycleStage=lead&cursor=${first.json!.nextCursor}`)).status).toBe(400);
  });

  it('filters by lifecycle stage and updatedSince', async () => {
    const before = new Date().toISOString();
    const evangelist = await api.request<Contact>('POST', '/v1/contacts', { body: { firstName: 'Eve', lifecycleStage: 'evangelist' } });
    const listed = await api.request<Page<Contact>>('GET', `/v1/contacts?lifecycleStage=evangelist&updatedSince=${encodeURIComponent(before)}`);
    expect(listed.json!.items.map((contact) => contact.id)).toContain(evangelist.json!.id);
    const future = await api.request<Page<Contact>>('GET', `/v1/contacts?updatedSince=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
    expect(future.json!.items).toEqual([]);
  });

  it('replays a retried POST with the same Idempotency-Key and refuses a different body', async () => {
    const headers = { 'idempotency-key': 'import-42' };
    const first = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'once@example.com', firstName: 'Once' }, headers });
    const retry = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'once@example.com', firstName: 'Once' }, headers });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    // The first answer's status and Location, with the record as it is now.
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('etag')).toBe('"1"');
    expect(retry.headers.get('location')).toBe(`/v1/contacts/${first.json!.id}`);
    // The same body written differently (key order, spacing) is the same request.
    const reordered = await api.request<Contact>('POST', '/v1/contacts', { body: '{ "firstName": "Once",  "email" :  "once@example.com" }', headers: { ...headers, 'content-type': 'application/json' } });
    expect(reordered.status).toBe(201);
    expect(reordered.headers.get('idempotent-replayed')).toBe('true');
    const reused = await api.request<Problem>('POST', '/v1/contacts', { body: { email: 'other@example.com' }, headers });
    expect(reused.status).toBe(422);
    // The refused request must not have destroyed the stored response.
    expect((await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'once@example.com', firstName: 'Once' }, headers })).json!.id).toBe(first.json!.id);
  });

  it('treats a key reused after its stored response expired as a new request when the body differs', async () => {
    const headers = { 'idempotency-key': 'reused-next-day' };
    /** What DynamoDB's TTL does to stored responses after 24 hours (a Scan: this is the test looking). */
    const expireStoredResponses = async () => {
      const { Items = [] } = await scanningClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: api.table.endpoint }).send(
        new ScanCommand({ TableName: api.table.tableName, FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': 'IDEMPOTENCY#' } }),
      );
      for (const item of Items) await api.table.client.send(new DeleteCommand({ TableName: api.table.tableName, Key: { pk: item.pk, sk: item.sk } }));
    };
    const first = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'monday@example.com' }, headers });
    await expireStoredResponses();
    const sameRequest = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'monday@example.com' }, headers });
    expect(sameRequest.json!.id).toBe(first.json!.id);
    await expireStoredResponses();
    const anotherRequest = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'tuesday@example.com' }, headers });
    expect(anotherRequest.status).toBe(201);
    expect(anotherRequest.json).toMatchObject({ email: 'tuesday@example.com' });
    expect(anotherRequest.json!.id).not.toBe(first.json!.id);
  });

  it('scopes Idempotency-Key to the exact target and caller, and only to POSTs', async () => {
    const headers = { 'idempotency-key': 'shared-key' };
    const contactsProperty = await api.request<{ objectType: string }>('POST', '/v1/properties/contacts', { body: { name: 'region', label: 'Region', type: 'string' }, headers });
    const dealsProperty = await api.request<{ objectType: string }>('POST', '/v1/properties/deals', { body: { name: 'region', label: 'Region', type: 'string' }, headers });
    expect([contactsProperty.json!.objectType, dealsProperty.json!.objectType]).toEqual(['contacts', 'deals']);
    expect(dealsProperty.headers.get('idempotent-replayed')).toBeNull();

    const otherCaller = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'caller-a@example.com' }, headers });
    const sameKeyOtherUser = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'caller-a@example.com' }, headers, as: { kind: 'user', id: 'someone', role: 'admin' } });
    expect(otherCaller.status).toBe(201);
    expect(sameKeyOtherUser.status).toBe(409);

    const read = await api.request<Contact>('GET', `/v1/contacts/${otherCaller.json!.id}`, { headers });
    await api.request('PATCH', `/v1/contacts/${otherCaller.json!.id}`, { body: { title: 'New' }, headers });
    const reread = await api.request<Contact>('GET', `/v1/contacts/${otherCaller.json!.id}`, { headers });
    expect(reread.headers.get('idempotent-replayed')).toBeNull();
    expect(reread.json!.version).toBe(read.json!.version + 1);
  });

  it('keeps no personal data in stored responses: a replay after erasure shows only the id', async () => {
    const headers = { 'idempotency-key': 'erase-me' };
    const created = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'erase.me@example.com', phone: '+1 555 0100' }, headers });
    await api.request('DELETE', `/v1/contacts/${created.json!.id}`);
    const replay = await api.request('POST', '/v1/contacts', { body: { email: 'erase.me@example.com', phone: '+1 555 0100' }, headers });
    expect(replay.text).not.toContain('erase.me');
    expect(replay.text).not.toContain('555');
  });

  it('upserts a batch by email and reports per-item results', async () => {
    const inputs = [{ email: 'batch1@example.com', firstName: 'One' }, { email: 'batch2@example.com' }, { email: 'broken' }, { email: 'batch4@example.com', companyIds: ['NO-SUCH-COMPANY'] }];
    type BatchResults = { results: { index: number; status: number; record?: Contact; error?: Problem }[] };
    const first = await api.request<BatchResults>('POST', '/v1/contacts/batch', { body: { inputs } });
    expect(first.status).toBe(207);
    expect(first.json!.results.map((result) => result.status)).toEqual([201, 201, 400, 400]);
    // A failed input's problem names the input, not the request body: as the schema finds it, and as the use case does.
    expect(first.json!.results[2]!.error!.errors![0]!.field).toBe('inputs.2.email');
    expect(first.json!.results[3]!.error!.errors![0]!.field).toBe('inputs.3.companyIds');

    const again = await api.request<BatchResults>('POST', '/v1/contacts/batch', { body: { inputs: [{ email: 'BATCH1@example.com', title: 'CTO' }] } });
    expect(again.status).toBe(200);
    expect(again.json!.results[0]).toMatchObject({ index: 0, status: 200, record: { id: first.json!.results[0]!.record!.id, firstName: 'One', title: 'CTO', version: 2 } });

    const tooMany = await api.request('POST', '/v1/contacts/batch', { body: { inputs: Array.from({ length: 101 }, (_, index) => ({ email: `n${index}@example.com` })) } });
    expect(tooMany.status).toBe(400);
  });

  it('writes a batch many to a transaction, and an input whose condition fails there on its own', async () => {
    type BatchResults = { results: { index: number; status: number; record?: Contact & { lastName?: string; title?: string }; error?: Problem }[] };
    const company = await api.request<{ id: string }>('POST', '/v1/companies', { body: { name: 'Grouped Inc' } });
    const held = await api.request<Contact>('POST', '/v1/contacts', { body: { email: 'held@example.com', firstName: 'Held' } });
    const inputs = [
      // Forty new contacts of one company: their checks of the company are one check per transaction.
      ...Array.from({ length: 40 }, (_, n) => ({ email: `grouped${n}@example.com`, companyIds: [company.json!.id] })),
      { email: 'HELD@example.com', title: 'VP' },
      { email: 'twice@example.com', firstName: 'First' },
      { email: 'twice@example.com', lastName: 'Second' },
      { email: 'orphan@example.com', companyIds: ['NO-SUCH-COMPANY'] },
    ];
    const batch = await api.request<BatchResults>('POST', '/v1/contacts/batch', { body: { inputs } });
    expect(batch.status).toBe(207);
    const results = batch.json!.results;
    expect(results.map((result) => result.status)).toEqual([...Array<number>(40).fill(201), 200, 201, 200, 400]);
    expect(results[40]!.record).toMatchObject({ id: held.json!.id, firstName: 'Held', title: 'VP', version: 2 });
    expect(results[42]!.record).toMatchObject({ id: results[41]!.record!.id, firstName: 'First', lastName: 'Second', version: 2 });
    expect(results[43]!.error!.errors![0]!.field).toBe('inputs.43.companyIds');

    const ofCompany = await api.request<Page<Contact>>('GET', `/v1/contacts?companyId=${company.json!.id}&limit=100`);
    expect(ofCompany.json!.items.map((contact) => contact.id).sort()).toEqual(results.slice(0, 40).map((result) => result.record!.id).sort());
    const timeline = await api.request<Page<{ kind: string }>>('GET', `/v1/contacts/${results[7]!.record!.id}/timeline`);
    expect(timeline.json!.items.map((entry) => entry.kind)).toEqual(['created']);
    expect((await api.request<Contact>('GET', `/v1/contacts/${results[7]!.record!.id}`)).json).toEqual(results[7]!.record);
  });

  it('validates custom properties against their definitions', async () => {
    const defined = await api.request('POST', '/v1/properties/contacts', { body: { name: 'tier', label: 'Tier', type: 'enum', options: [{ value: 'gold', label: 'Gold' }] } });
    expect(defined.status).toBe(201);
    expect((await api.request('POST', '/v1/properties/contacts', { body: { name: 'tier', label: 'Again', type: 'string' } })).status).toBe(409);

    const good = await api.request<Contact>('POST', '/v1/contacts', { body: { firstName: 'Prop', properties: { tier: 'gold' } } });
    expect(good.status).toBe(201);
    expect(good.json!.properties).toEqual({ tier: 'gold' });
    const wrongValue = await api.request<Problem>('POST', '/v1/contacts', { body: { firstName: 'Prop', properties: { tier: 'bronze' } } });
    expect(wrongValue.status).toBe(400);
    expect(wrongValue.json!.errors![0]!.field).toBe('body.properties.tier');
    expect((await api.request('POST', '/v1/contacts', { body: { firstName: 'Prop', properties: { undefined_one: 1 } } })).status).toBe(400);

    const cleared = await api.request<Contact>('PATCH', `/v1/contacts/${good.json!.id}`, { body: { properties: { tier: null } } });
    expect(cleared.json!.properties).toEqual({});
  });

  it('records field changes on the timeline, newest first', async () => {
    const contact = await api.request<Contact>('POST', '/v1/contacts', { body: { firstName: 'Tim', email: 'tim@example.com' } });
    await api.request('PATCH', `/v1/contacts/${contact.json!.id}`, { body: { title: 'CTO' } });
    await api.request('PATCH', `/v1/contacts/${contact.json!.id}`, { body: { title: 'CEO', lifecycleStage: 'customer' } });
    const timeline = await api.request<Page<{ kind: string; changes: { field: string; from: unknown; to: unknown }[] }>>('GET', `/v1/contacts/${contact.json!.id}/timeline`);
    expect(timeline.json!.items.map((entry) => entry.kind)).toEqual(['updated', 'updated', 'created']);
    expect(timeline.json!.items[0]!.changes).toEqual([
      { field: 'lifecycleStage', from: 'lead', to: 'customer' },
      { field: 'title', from: 'CTO', to: 'CEO' },
    ]);
    expect((await api.request('GET', '/v1/contacts/NOPE/timeline')).status).toBe(404);
  });
});
