import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSubject } from '../../local/local-jwt';
import { startTestApi, type TestApi } from '../support/api-server';

/** Owners: who signs in becomes one; an ownerId that names no owner is refused. */

type Owner = { id: string; email?: string; name?: string; source: string; lastSeenAt?: string };
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const stamp = Date.now();
const dana: TokenSubject = { kind: 'user', id: `dana-${stamp}`, role: 'member', email: 'dana@acme.example', name: 'Dana Scully' };
const manager: TokenSubject = { kind: 'user', id: `manager-${stamp}`, role: 'manager' };
const importer: TokenSubject = { kind: 'client', id: `importer-${stamp}`, scopes: ['crm/write'] };

describe('owners', () => {
  it('are the users who signed in, with the email and name their token carries', async () => {
    expect((await api.request('GET', '/v1/contacts', { as: dana })).status).toBe(200);
    const owner = await api.request<Owner>('GET', `/v1/owners/${dana.id}`);
    expect(owner.json).toMatchObject({ id: dana.id, email: 'dana@acme.example', name: 'Dana Scully', source: 'signed-in', lastSeenAt: new Date().toISOString().slice(0, 10) });
    const all = await api.request<{ items: Owner[] }>('GET', '/v1/owners?limit=100');
    expect(all.json!.items.map((item) => item.id)).toContain(dana.id);
    // Machine clients own nothing.
    expect((await api.request('GET', '/v1/contacts', { as: importer })).status).toBe(200);
    expect((await api.request('GET', `/v1/owners/${importer.id}`)).status).toBe(404);
  });

  it('are the only ids an ownerId may name, from people and machine clients alike', async () => {
    const typo = await api.request<{ errors: { field: string; message: string }[] }>('POST', '/v1/contacts', { body: { firstName: 'Lost', ownerId: 'dnaa' }, as: manager });
    expect(typo.status).toBe(400);
    expect(typo.json!.errors).toEqual([{ field: 'body.ownerId', message: 'dnaa is no known owner (GET /v1/owners)' }]);
    expect((await api.request('POST', '/v1/deals', { body: { name: 'Lost', ownerId: 'dnaa' }, as: importer })).status).toBe(400);
    // A machine client is no owner, not even of what it creates; nor may a task go to a stranger.
    expect((await api.request('POST', '/v1/contacts', { body: { firstName: 'Bot', ownerId: importer.id }, as: importer })).status).toBe(400);
    const stranger = await api.request<{ errors: { field: string }[] }>('POST', '/v1/activities', { body: { kind: 'task', subject: 'x', assigneeId: 'ghost' }, as: manager });
    expect(stranger.json!.errors).toEqual([expect.objectContaining({ field: 'body.assigneeId' })]);

    const given = await api.request<{ id: string; ownerId: string }>('POST', '/v1/contacts', { body: { firstName: 'Found', ownerId: dana.id }, as: manager });
    expect(given.status).toBe(201);
    expect((await api.request('PATCH', `/v1/contacts/${given.json!.id}`, { body: { ownerId: 'nobody-here' }, as: manager })).status).toBe(400);
    expect((await api.request('GET', `/v1/contacts/${given.json!.id}`)).json).toMatchObject({ ownerId: dana.id });
  });

  it('may be added by admins before their first sign-in, so imports can assign records to them', async () => {
    const newcomer = `newcomer-${stamp}`;
    expect((await api.request('PUT', `/v1/owners/${newcomer}`, { body: { email: 'new@acme.example' }, as: manager })).status).toBe(403);
    const added = await api.request<Owner>('PUT', `/v1/owners/${newcomer}`, { body: { email: 'new@acme.example', name: 'New Comer' } });
    expect(added.json).toMatchObject({ id: newcomer, source: 'added', email: 'new@acme.example' });
    const batch = await api.request<{ results: { status: number }[] }>('POST', '/v1/contacts/batch', {
      body: { inputs: [{ firstName: 'Imported', ownerId: newcomer }, { firstName: 'Typo', ownerId: `${newcomer}x` }] },
      as: importer,
    });
    expect(batch.json!.results.map((result) => result.status)).toEqual([201, 400]);
    // Their own sign-in makes them a signed-in owner.
    expect((await api.request('GET', '/v1/contacts', { as: { kind: 'user', id: newcomer, role: 'member' } })).status).toBe(200);
    expect((await api.request<Owner>('GET', `/v1/owners/${newcomer}`)).json).toMatchObject({ source: 'signed-in', email: 'new@acme.example', name: 'New Comer' });
    const audit = await api.request<{ items: { event: string; changes: { field: string; to: unknown }[] }[] }>('GET', `/v1/audit?recordType=owner&recordId=${newcomer}`);
    expect(audit.json!.items.map((entry) => entry.event)).toEqual(['created']);
    // Admins may set the address the daily digest goes to.
    expect((await api.request<Owner>('PUT', `/v1/owners/${newcomer}`, { body: { email: 'newer@acme.example' } })).json).toMatchObject({ source: 'signed-in', email: 'newer@acme.example', name: 'New Comer' });
  });
});
