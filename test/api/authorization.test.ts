import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigningKey, mintToken, type TokenSubject } from '../../local/local-jwt';
import type { Role } from '../../domain/shared/actor';
import { startTestApi, type TestApi } from '../support/api-server';

type Rec = { id: string; ownerId?: string } & Record<string, unknown>;

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  // Whom the tests assign records to: owners, as if each had signed in.
  await api.addOwners('someone-else', 'user-viewer', 'user-member', 'user-manager', 'user-admin');
});
afterAll(() => api.close());

const user = (role: Role, id = `user-${role}`): TokenSubject => ({ kind: 'user', id, role });
const client = (...scopes: string[]): TokenSubject => ({ kind: 'client', id: `client-${scopes.join('-') || 'none'}`, scopes });

async function contactOwnedBy(ownerId: string): Promise<Rec> {
  const response = await api.request<Rec>('POST', '/v1/contacts', { body: { firstName: 'Owned', ownerId } });
  expect(response.status, response.text).toBe(201);
  return response.json!;
}

describe('authentication', () => {
  it.each([
    ['no token', {}],
    ['a malformed header', { authorization: 'Bearer' }],
    ['a token that is not a JWT', { authorization: 'Bearer abc.def.ghi' }],
  ])('answers 401 for %s', async (_name, headers) => {
    const response = await api.request('GET', '/v1/contacts', { as: 'anonymous', headers });
    expect(response.status).toBe(401);
  });

  it.each([
    ['expired', { expiresInSeconds: -60 }],
    ['for another audience', { audience: 'someone-else' }],
    ['from another issuer', { issuer: 'https://evil.example' }],
  ])('answers 401 for a token %s', async (_name, options) => {
    const token = await api.tokenFor(user('admin'), options);
    expect((await api.request('GET', '/v1/contacts', { as: 'anonymous', headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('answers 401 for a token signed with another key, or altered after signing', async () => {
    const forged = await mintToken(await createSigningKey(), user('admin'));
    const [header, payload, signature] = (await api.tokenFor(user('viewer'))).split('.');
    const promoted = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    promoted['cognito:groups'] = ['admin'];
    const altered = `${header}.${Buffer.from(JSON.stringify(promoted)).toString('base64url')}.${signature}`;
    for (const token of [forged, altered]) {
      expect((await api.request('GET', '/v1/contacts', { as: 'anonymous', headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    }
  });

  it('keeps health, OpenAPI and docs public', async () => {
    for (const path of ['/health', '/openapi.json', '/docs']) expect((await api.request('GET', path, { as: 'anonymous' })).status).toBe(200);
  });

  it('never trusts an identity the authorizer did not verify', async () => {
    const { handler } = await import('../../functions/contacts');
    const event = { version: '2.0', routeKey: 'GET /v1/contacts', rawPath: '/v1/contacts', rawQueryString: '', headers: { 'x-user-id': 'admin' }, requestContext: { requestId: 'r1', http: { method: 'GET' } }, isBase64Encoded: false };
    const response = (await handler(event as never, { getRemainingTimeInMillis: () => 1000, functionName: 'contacts', awsRequestId: 'r1' } as never)) as { statusCode: number };
    expect(response.statusCode).toBe(401);
  });
});

describe('roles on records (role × route × own/other)', () => {
  const cases: { role: Role; read: number; create: number; changeOwn: number; changeOther: number; deleteOwn: number; deleteOther: number }[] = [
    { role: 'viewer', read: 200, create: 403, changeOwn: 403, changeOther: 403, deleteOwn: 403, deleteOther: 403 },
    { role: 'member', read: 200, create: 201, changeOwn: 200, changeOther: 403, deleteOwn: 204, deleteOther: 403 },
    { role: 'manager', read: 200, create: 201, changeOwn: 200, changeOther: 200, deleteOwn: 204, deleteOther: 204 },
    { role: 'admin', read: 200, create: 201, changeOwn: 200, changeOther: 200, deleteOwn: 204, deleteOther: 204 },
  ];

  it.each(cases)('$role', async ({ role, read, create, changeOwn, changeOther, deleteOwn, deleteOther }) => {
    const as = user(role);
    const own = await contactOwnedBy(`user-${role}`);
    const other = await contactOwnedBy('someone-else');

    expect((await api.request('GET', `/v1/contacts/${other.id}`, { as })).status).toBe(read);
    expect((await api.request('GET', '/v1/contacts', { as })).status).toBe(read);
    expect((await api.request('GET', `/v1/contacts/${other.id}/timeline`, { as })).status).toBe(read);
    expect((await api.request('POST', '/v1/contacts', { as, body: { firstName: 'New' } })).status).toBe(create);
    expect((await api.request('PATCH', `/v1/contacts/${own.id}`, { as, body: { title: 'Mine' } })).status).toBe(changeOwn);
    expect((await api.request('PATCH', `/v1/contacts/${other.id}`, { as, body: { title: 'Theirs' } })).status).toBe(changeOther);
    expect((await api.request('DELETE', `/v1/contacts/${own.id}`, { as })).status).toBe(deleteOwn);
    expect((await api.request('DELETE', `/v1/contacts/${other.id}`, { as })).status).toBe(deleteOther);
  });

  it('says what is missing in the 403', async () => {
    const other = await contactOwnedBy('someone-else');
    const response = await api.request<{ type: string; required: string; detail: string }>('PATCH', `/v1/contacts/${other.id}`, { as: user('member'), body: { title: 'x' } });
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.json).toMatchObject({ type: 'urn:crm:problem:forbidden', required: expect.stringContaining('ownership') });
  });

  it('lets a member edit a task assigned to it but owned by someone else', async () => {
    const task = await api.request<Rec>('POST', '/v1/activities', { body: { kind: 'task', subject: 'Call back', ownerId: 'someone-else', assigneeId: 'user-member' } });
    expect((await api.request('PATCH', `/v1/activities/${task.json!.id}`, { as: user('member'), body: { taskStatus: 'done' } })).status).toBe(200);
  });

  it('lets an assignee work on a task but not take it over or hand it on', async () => {
    await api.addOwners('user-owner');
    const task = await api.request<Rec>('POST', '/v1/activities', { body: { kind: 'task', subject: 'Mine to own', ownerId: 'user-owner', assigneeId: 'user-member' } });
    const as = user('member');
    expect((await api.request('PATCH', `/v1/activities/${task.json!.id}`, { as, body: { ownerId: 'user-member' } })).status).toBe(403);
    expect((await api.request('PATCH', `/v1/activities/${task.json!.id}`, { as, body: { assigneeId: 'someone-else' } })).status).toBe(403);
    expect((await api.request<Rec>('GET', `/v1/activities/${task.json!.id}`)).json).toMatchObject({ ownerId: 'user-owner', assigneeId: 'user-member' });
  });

  it('answers 403 to a batch from a role that may not create', async () => {
    expect((await api.request('POST', '/v1/contacts/batch', { as: user('viewer'), body: { inputs: [{ firstName: 'x' }] } })).status).toBe(403);
  });

  it('makes a member the owner of what it creates and refuses handing records to others', async () => {
    const as = user('member');
    const created = await api.request<Rec>('POST', '/v1/contacts', { as, body: { firstName: 'Self' } });
    expect(created.json!.ownerId).toBe('user-member');
    expect((await api.request('POST', '/v1/contacts', { as, body: { firstName: 'Gift', ownerId: 'someone-else' } })).status).toBe(403);
    expect((await api.request('PATCH', `/v1/contacts/${created.json!.id}`, { as, body: { ownerId: 'someone-else' } })).status).toBe(403);
    expect((await api.request('PATCH', `/v1/contacts/${created.json!.id}`, { as, body: { ownerId: null } })).status).toBe(403);
    expect((await api.request('PATCH', `/v1/contacts/${created.json!.id}`, { as: user('manager'), body: { ownerId: 'someone-else' } })).status).toBe(200);
  });

  it('applies the rules to each input of a batch', async () => {
    const theirs = await api.request<Rec>('POST', '/v1/contacts', { body: { email: 'theirs@example.com', ownerId: 'someone-else' } });
    const batch = await api.request<{ results: { status: number }[] }>('POST', '/v1/contacts/batch', {
      as: user('member'),
      body: { inputs: [{ email: 'mine@example.com' }, { email: 'theirs@example.com', title: 'Hijack' }] },
    });
    expect(batch.status).toBe(207);
    expect(batch.json!.results.map((result) => result.status)).toEqual([201, 403]);
    expect((await api.request<Rec>('GET', `/v1/contacts/${theirs.json!.id}`)).json!.title).toBeUndefined();
  });
});

describe('schema, audit and machine clients', () => {
  it.each([
    ['POST', '/v1/pipelines', { name: 'P', stages: [{ name: 'Open', probability: 0.5 }] }],
    ['POST', '/v1/properties/contacts', { name: 'p_one', label: 'P', type: 'string' }],
    ['GET', '/v1/audit?actorId=test-admin', undefined],
  ])('%s %s is for admins only', async (method, path, body) => {
    for (const role of ['viewer', 'member', 'manager'] as const) {
      expect((await api.request(method, path, { as: user(role), body })).status).toBe(403);
    }
    expect((await api.request(method, path, { as: user('admin', `admin-${path.length}`), body: body && { ...body, ...(path.includes('properties') ? { name: `p_${method.length}` } : {}) } })).status).toBeLessThan(300);
  });

  it('limits machine clients by scope', async () => {
    expect((await api.request('GET', '/v1/contacts', { as: client('crm/read') })).status).toBe(200);
    expect((await api.request('POST', '/v1/contacts', { as: client('crm/read'), body: { firstName: 'x' } })).status).toBe(403);
    const written = await api.request<Rec>('POST', '/v1/contacts', { as: client('crm/write'), body: { firstName: 'ETL' } });
    expect(written.status).toBe(201);
    expect(written.json!.ownerId).toBeUndefined();
    expect((await api.request('POST', '/v1/pipelines', { as: client('crm/write'), body: { name: 'P', stages: [{ name: 'Open', probability: 0.5 }] } })).status).toBe(403);
    expect((await api.request('GET', '/v1/pipelines', { as: client('crm/admin') })).status).toBe(200);
    expect((await api.request('GET', '/v1/contacts', { as: client('profile') })).status).toBe(403);
  });

  it('records who changed what, from which request, readable per record and per actor', async () => {
    const as = user('manager', 'auditor-subject');
    const created = await api.request<Rec>('POST', '/v1/contacts', { as, body: { firstName: 'Audited', title: 'Before' } });
    const patched = await api.request('PATCH', `/v1/contacts/${created.json!.id}`, { as, body: { title: 'After' } });
    await api.request('DELETE', `/v1/contacts/${created.json!.id}`, { as });

    type Entry = { event: string; actor: { id: string; requestId: string }; changes: { field: string; from: unknown; to: unknown }[]; recordId: string };
    const byActor = await api.request<{ items: Entry[] }>('GET', '/v1/audit?actorId=auditor-subject');
    expect(byActor.json!.items.map((entry) => entry.event)).toEqual(['deleted', 'updated', 'created']);
    const byRecord = await api.request<{ items: Entry[] }>('GET', `/v1/audit?recordType=contact&recordId=${created.json!.id}`);
    expect(byRecord.json!.items.map((entry) => entry.event)).toEqual(['deleted', 'updated', 'created']);
    // The history outlives the contact without its values: who changed which field, when.
    expect(byRecord.json!.items[1]!.changes).toEqual([{ field: 'title', erased: true }]);
    expect(JSON.stringify(byRecord.json)).not.toContain('Audited');
    expect(byRecord.json!.items[0]!.actor.requestId).toEqual(expect.any(String));
    expect(patched.headers.get('apigw-requestid')).toBeTruthy();

    const kept = await api.request<Rec>('POST', '/v1/companies', { as, body: { name: 'Audit Co' } });
    const renamed = await api.request('PATCH', `/v1/companies/${kept.json!.id}`, { as, body: { name: 'Audit Company' } });
    const history = await api.request<{ items: Entry[] }>('GET', `/v1/audit?recordType=company&recordId=${kept.json!.id}`);
    expect(history.json!.items.map((entry) => entry.event)).toEqual(['updated', 'created']);
    expect(history.json!.items[0]).toMatchObject({ changes: [{ field: 'name', from: 'Audit Co', to: 'Audit Company' }], actor: { id: 'auditor-subject', requestId: renamed.headers.get('apigw-requestid') } });

    const linked = await api.request<Rec>('POST', '/v1/contacts', { as, body: { firstName: 'Linked', companyIds: [kept.json!.id] } });
    const deletion = await api.request('DELETE', `/v1/companies/${kept.json!.id}`, { as });
    const cascade = await api.request<{ items: (Entry & { actor: { type: string; onBehalfOf?: string } })[] }>('GET', `/v1/audit?recordType=contact&recordId=${linked.json!.id}`);
    expect(cascade.json!.items[0]!.actor).toMatchObject({ type: 'system', onBehalfOf: 'auditor-subject', requestId: deletion.headers.get('apigw-requestid') });

    expect((await api.request('GET', '/v1/audit')).status).toBe(400);
    for (const method of ['POST', 'PATCH', 'DELETE']) expect((await api.request(method, '/v1/audit', { body: {} })).status).toBe(404);
  });
});
