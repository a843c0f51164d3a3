import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSubject } from '../../local/local-jwt';
import { startTestApi, type TestApi } from '../support/api-server';

type Team = { id: string; name: string; memberIds: string[]; version: number };
type Problem = { errors?: { field: string; message: string }[] };

const manager: TokenSubject = { kind: 'user', id: 'manager-4', role: 'manager' };
const member: TokenSubject = { kind: 'user', id: 'member-4', role: 'member' };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
  // Members are owners: users who signed in, or whom an admin added.
  await api.addOwners('user-alice', 'user-bob', 'user-carmen', 'a');
});
afterAll(() => api.close());

describe('teams', () => {
  it('are written by managers, read by everyone, versioned and audited', async () => {
    const body = { name: 'Inside sales', memberIds: ['user-alice', 'user-bob'] };
    expect((await api.request('POST', '/v1/teams', { body, as: member })).status).toBe(403);
    const created = await api.request<Team>('POST', '/v1/teams', { body, as: manager });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ ...body, version: 1 });
    expect((await api.request<{ items: Team[] }>('GET', '/v1/teams', { as: member })).json!.items.map((team) => team.id)).toContain(created.json!.id);

    const changed = await api.request<Team>('PATCH', `/v1/teams/${created.json!.id}`, { body: { memberIds: ['user-alice', 'user-carmen'] }, as: manager, headers: { 'if-match': '"1"' } });
    expect(changed.json).toMatchObject({ name: 'Inside sales', memberIds: ['user-alice', 'user-carmen'], version: 2 });
    expect((await api.request('PATCH', `/v1/teams/${created.json!.id}`, { body: { name: 'x' }, as: manager, headers: { 'if-match': '"1"' } })).status).toBe(412);
    const audit = await api.request<{ items: { changes: { field: string; from: unknown; to: unknown }[] }[] }>('GET', `/v1/audit?recordType=team&recordId=${created.json!.id}`);
    expect(audit.json!.items[0]!.changes).toEqual([{ field: 'memberIds', from: ['user-alice', 'user-bob'], to: ['user-alice', 'user-carmen'] }]);

    expect((await api.request('DELETE', `/v1/teams/${created.json!.id}`, { as: manager })).status).toBe(204);
    expect((await api.request('GET', `/v1/teams/${created.json!.id}`)).status).toBe(404);
  });

  it('refuse a team without members, or with one member twice, naming the field', async () => {
    const empty = await api.request<Problem>('POST', '/v1/teams', { body: { name: 'Nobody', memberIds: [] }, as: manager });
    expect(empty.status).toBe(400);
    expect(empty.json!.errors!.map((issue) => issue.field)).toEqual(['body.memberIds']);
    const twice = await api.request<Problem>('POST', '/v1/teams', { body: { name: 'Twice', memberIds: ['a', 'a'] }, as: manager });
    expect(twice.json!.errors).toEqual([{ field: 'body.memberIds', message: 'each member once' }]);
    const stranger = await api.request<Problem>('POST', '/v1/teams', { body: { name: 'Strangers', memberIds: ['user-alice', 'nobody-signed-in'] }, as: manager });
    expect(stranger.status).toBe(400);
    expect(stranger.json!.errors).toEqual([{ field: 'body.memberIds.1', message: 'nobody-signed-in is no known owner (GET /v1/owners)' }]);
  });
});
