import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

type Rec = { id: string; version: number } & Record<string, unknown>;
type Page<T> = { items: T[]; nextCursor: string | null };
type Pipeline = { id: string; version: number; stages: { id: string; name: string; kind: string; probability: number }[]; isDefault: boolean };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

const create = (collection: string, body: Record<string, unknown>) => api.create<Rec>(collection, body);
const ids = (page: Page<Rec> | undefined) => page!.items.map((item) => item.id).sort();

describe('companies', () => {
  it('normalizes domains and keeps them unique', async () => {
    const acme = await create('companies', { name: 'Acme', domain: 'https://www.ACME.com/about' });
    expect(acme.domain).toBe('acme.com');
    expect((await api.request('POST', '/v1/companies', { body: { name: 'Acme 2', domain: 'acme.com.' } })).status).toBe(409);
    expect((await api.request('POST', '/v1/companies', { body: { name: 'Bad', domain: 'not a domain' } })).status).toBe(400);
    const found = await api.request<Page<Rec>>('GET', '/v1/companies?domain=WWW.acme.com');
    expect(ids(found.json)).toEqual([acme.id]);
  });
});

describe('associations', () => {
  it('links contacts to companies with one primary and lists contacts of a company', async () => {
    const initech = await create('companies', { name: 'Initech', industry: 'Software' });
    const hooli = await create('companies', { name: 'Hooli' });
    const peter = await create('contacts', { firstName: 'Peter', companyIds: [initech.id, hooli.id] });
    expect(peter.primaryCompanyId).toBe(initech.id);
    const milton = await create('contacts', { firstName: 'Milton', primaryCompanyId: initech.id });
    expect(milton.companyIds).toEqual([initech.id]);

    const ofInitech = await api.request<Page<Rec>>('GET', `/v1/contacts?companyId=${initech.id}`);
    expect(ids(ofInitech.json)).toEqual([peter.id, milton.id].sort());

    const missing = await api.request<{ errors: { field: string }[] }>('POST', '/v1/contacts', { body: { firstName: 'Ghost', companyIds: ['NO_SUCH_COMPANY'] } });
    expect(missing.status).toBe(400);
    expect(missing.json!.errors[0]!.field).toBe('body.companyIds');

    const moved = await api.request<Rec>('PATCH', `/v1/contacts/${peter.id}`, { body: { companyIds: [hooli.id] } });
    expect(moved.json).toMatchObject({ companyIds: [hooli.id], primaryCompanyId: hooli.id });
    expect(ids((await api.request<Page<Rec>>('GET', `/v1/contacts?companyId=${initech.id}`)).json)).toEqual([milton.id]);
  });

  it('deleting a company detaches it from contacts and deals', async () => {
    const globex = await create('companies', { name: 'Globex' });
    const other = await create('companies', { name: 'Other' });
    const hank = await create('contacts', { firstName: 'Hank', companyIds: [globex.id, other.id] });
    const deal = await create('deals', { name: 'Globex renewal', companyId: globex.id, contactIds: [hank.id] });

    expect((await api.request('DELETE', `/v1/companies/${globex.id}`)).status).toBe(204);
    const hankAfter = (await api.request<Rec>('GET', `/v1/contacts/${hank.id}`)).json!;
    expect(hankAfter).toMatchObject({ companyIds: [other.id], primaryCompanyId: other.id });
    const dealAfter = (await api.request<Rec>('GET', `/v1/deals/${deal.id}`)).json!;
    expect(dealAfter.companyId).toBeUndefined();
    expect(dealAfter.contactIds).toEqual([hank.id]);
  });

  it('deleting a contact removes its personal data, links and history', async () => {
    const contact = await create('contacts', { firstName: 'Private', email: 'private@example.com', phone: '+1 555 0100' });
    await api.request('PATCH', `/v1/contacts/${contact.id}`, { body: { phone: '+1 555 0199' } });
    const deal = await create('deals', { name: 'Deal with private', contactIds: [contact.id] });
    const note = await create('activities', { kind: 'note', body: 'Met Private', contactIds: [contact.id], dealIds: [deal.id] });

    expect((await api.request('DELETE', `/v1/contacts/${contact.id}`)).status).toBe(204);
    expect((await api.request<Rec>('GET', `/v1/deals/${deal.id}`)).json!.contactIds).toEqual([]);
    expect((await api.request<Rec>('GET', `/v1/activities/${note.id}`)).json!.contactIds).toEqual([]);

    const { QueryCommand } = await import('@aws-sdk/lib-dynamodb');
    const left = await api.table.client.send(
      new QueryCommand({ TableName: api.table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CONTACT#${contact.id}` } }),
    );
    expect(left.Items).toEqual([]);
    expect(JSON.stringify(await api.request('GET', `/v1/deals/${deal.id}/timeline`))).not.toContain('555 01');
  });
});

describe('deals and pipelines', () => {
  it('starts with the default pipeline and derives status from the stage', async () => {
    const pipelines = await api.request<Page<Pipeline>>('GET', '/v1/pipelines');
    const defaultPipeline = pipelines.json!.items.find((pipeline) => pipeline.isDefault)!;
    expect(defaultPipeline.id).toBe('default');

    const deal = await create('deals', { name: 'Big one', amount: 12500.5, currency: 'EUR' });
    expect(deal).toMatchObject({ pipelineId: 'default', stageId: defaultPipeline.stages[0]!.id, status: 'open', probability: 0.2 });
    const won = await api.request<Rec>('PATCH', `/v1/deals/${deal.id}`, { body: { stageId: 'closed_won' } });
    expect(won.json).toMatchObject({ status: 'won', probability: 1 });
    expect(won.json!.closedAt).toEqual(expect.any(String));
    // Another change of the won deal keeps its close time; moving it to lost closes it again, now.
    const renamed = await api.request<Rec>('PATCH', `/v1/deals/${deal.id}`, { body: { name: 'Big one, signed' } });
    expect(renamed.json!.closedAt).toBe(won.json!.closedAt);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const lost = await api.request<Rec>('PATCH', `/v1/deals/${deal.id}`, { body: { stageId: 'closed_lost' } });
    expect(lost.json).toMatchObject({ status: 'lost' });
    expect(lost.json!.closedAt! > won.json!.closedAt!).toBe(true);
    const reopened = await api.request<Rec>('PATCH', `/v1/deals/${deal.id}`, { body: { stageId: 'contract_sent' } });
    expect(reopened.json).toMatchObject({ status: 'open' });
    expect(reopened.json!.closedAt).toBeUndefined();

    expect((await api.request('PATCH', `/v1/deals/${deal.id}`, { body: { stageId: 'nope' } })).status).toBe(400);
    expect((await api.request('POST', '/v1/deals', { body: { name: 'x', amount: 1.001 } })).status).toBe(400);
    expect((await api.request('DELETE', '/v1/pipelines/default')).status).toBe(400);
  });

  it('adds, renames, reorders and removes stages, protecting stages that hold deals', async () => {
    const created = await api.request<Pipeline>('POST', '/v1/pipelines', {
      body: { name: 'Partners', stages: [{ name: 'Intro', probability: 0.1 }, { name: 'Signed', probability: 1, kind: 'won' }] },
    });
    expect(created.status).toBe(201);
    const pipeline = created.json!;
    const [intro, signed] = pipeline.stages;
    const deal = await create('deals', { name: 'Partner deal', pipelineId: pipeline.id });
    expect(deal.stageId).toBe(intro!.id);

    const byStage = await api.request<Page<Rec>>('GET', `/v1/deals?pipelineId=${pipeline.id}&stageId=${intro!.id}`);
    expect(ids(byStage.json)).toEqual([deal.id]);

    const reordered = await api.request<Pipeline>('PATCH', `/v1/pipelines/${pipeline.id}`, {
      body: { stages: [{ name: 'Vetting', probability: 0.05 }, { id: intro!.id, name: 'Introduction', probability: 0.15 }, { id: signed!.id, name: 'Signed', probability: 1, kind: 'won' }] },
      headers: { 'if-match': '"1"' },
    });
    expect(reordered.status).toBe(200);
    expect(reordered.json!.stages.map((stage) => stage.name)).toEqual(['Vetting', 'Introduction', 'Signed']);

    const removeOccupied = await api.request('PATCH', `/v1/pipelines/${pipeline.id}`, { body: { stages: [{ id: signed!.id, name: 'Signed', probability: 1, kind: 'won' }, { name: 'Open', probability: 0.5 }] } });
    expect(removeOccupied.status).toBe(409);
    expect((await api.request('DELETE', `/v1/pipelines/${pipeline.id}`)).status).toBe(409);

    await api.request('DELETE', `/v1/deals/${deal.id}`);
    expect((await api.request('DELETE', `/v1/pipelines/${pipeline.id}`)).status).toBe(204);
    expect((await api.request('GET', `/v1/pipelines/${pipeline.id}`)).status).toBe(404);
  });

  it('lists deals of a company and of a contact', async () => {
    const company = await create('companies', { name: 'Dealco' });
    const contact = await create('contacts', { firstName: 'Buyer' });
    const deal = await create('deals', { name: 'Dealco deal', companyId: company.id, contactIds: [contact.id] });
    expect(ids((await api.request<Page<Rec>>('GET', `/v1/deals?companyId=${company.id}`)).json)).toEqual([deal.id]);
    expect(ids((await api.request<Page<Rec>>('GET', `/v1/deals?contactId=${contact.id}`)).json)).toEqual([deal.id]);
    expect((await api.request('GET', `/v1/deals?companyId=${company.id}&contactId=${contact.id}`)).status).toBe(400);
  });
});

describe('activities', () => {
  it('puts activities on the timeline of every linked record, ordered by when they happened', async () => {
    await api.addOwners('user-7');
    const contact = await create('contacts', { firstName: 'Timeline' });
    const call = await create('activities', { kind: 'call', subject: 'Intro call', occurredAt: '2026-01-10T10:00:00Z', durationMinutes: 30, direction: 'outbound', contactIds: [contact.id] });
    const task = await create('activities', { kind: 'task', subject: 'Send proposal', dueAt: '2026-02-01T09:00:00Z', assigneeId: 'user-7', occurredAt: '2026-01-11T10:00:00Z', contactIds: [contact.id] });
    expect(task.taskStatus).toBe('open');

    const timeline = await api.request<Page<{ kind: string; activity?: Rec }>>('GET', `/v1/contacts/${contact.id}/timeline`);
    const activityIds = timeline.json!.items.filter((entry) => entry.kind === 'activity').map((entry) => entry.activity!.id);
    expect(activityIds).toEqual([task.id, call.id]);

    // Moving an activity in time moves it on every timeline.
    await api.request('PATCH', `/v1/activities/${call.id}`, { body: { occurredAt: '2026-03-01T00:00:00Z' } });
    const after = await api.request<Page<{ kind: string; activity?: Rec }>>('GET', `/v1/contacts/${contact.id}/timeline`);
    expect(after.json!.items.filter((entry) => entry.kind === 'activity').map((entry) => entry.activity!.id)).toEqual([call.id, task.id]);

    const assigned = await api.request<Page<Rec>>('GET', '/v1/activities?assigneeId=user-7');
    expect(ids(assigned.json)).toEqual([task.id]);
    expect((await api.request('POST', '/v1/activities', { body: { kind: 'note', dueAt: '2026-01-01T00:00:00Z' } })).status).toBe(400);

    await api.request('DELETE', `/v1/activities/${task.id}`);
    const afterDelete = await api.request<Page<{ kind: string; activity?: Rec }>>('GET', `/v1/contacts/${contact.id}/timeline`);
    expect(afterDelete.json!.items.filter((entry) => entry.kind === 'activity').map((entry) => entry.activity!.id)).toEqual([call.id]);
  });
});

describe('activity lists by owner and by assignee', () => {
  it('keeps owning and being assigned apart, and lists open tasks by due date', async () => {
    await api.addOwners('alice-x', 'carol-x', 'bob-x');
    const note = await create('activities', { kind: 'note', body: 'n', ownerId: 'alice-x' });
    const later = await create('activities', { kind: 'task', subject: 'later', ownerId: 'alice-x', assigneeId: 'bob-x', dueAt: '2026-09-01T00:00:00Z' });
    const sooner = await create('activities', { kind: 'task', subject: 'sooner', ownerId: 'carol-x', assigneeId: 'bob-x', dueAt: '2026-03-01T00:00:00Z' });
    const done = await create('activities', { kind: 'task', subject: 'done', assigneeId: 'bob-x', taskStatus: 'done' });

    expect(ids((await api.request<Page<Rec>>('GET', '/v1/activities?ownerId=alice-x')).json)).toEqual([note.id, later.id].sort());
    const open = await api.request<Page<Rec>>('GET', '/v1/activities?assigneeId=bob-x&taskStatus=open');
    expect(open.json!.items.map((task) => task.id)).toEqual([sooner.id, later.id]);
    expect(ids((await api.request<Page<Rec>>('GET', '/v1/activities?assigneeId=bob-x')).json)).toEqual([sooner.id, later.id, done.id].sort());
    expect((await api.request('GET', '/v1/activities?taskStatus=open')).status).toBe(400);
  });
});

describe('properties', () => {
  it('defines, lists, changes and deletes custom properties', async () => {
    expect((await api.request('POST', '/v1/properties/deals', { body: { name: 'renewal_date', label: 'Renewal', type: 'date' } })).status).toBe(201);
    expect((await api.request('POST', '/v1/properties/deals', { body: { name: 'Bad Name', label: 'x', type: 'string' } })).status).toBe(400);
    expect((await api.request('POST', '/v1/properties/widgets', { body: { name: 'x', label: 'x', type: 'string' } })).status).toBe(400);
    expect((await api.request('POST', '/v1/properties/deals', { body: { name: 'kind', label: 'Kind', type: 'enum' } })).status).toBe(400);

    const deal = await api.request<Rec>('POST', '/v1/deals', { body: { name: 'Dated', properties: { renewal_date: '2027-02-30' } } });
    expect(deal.status).toBe(400);
    const fine = await api.request<Rec>('POST', '/v1/deals', { body: { name: 'Dated', properties: { renewal_date: '2027-02-28' } } });
    expect(fine.status).toBe(201);

    const listed = await api.request<Page<{ name: string }>>('GET', '/v1/properties/deals');
    expect(listed.json!.items.map((item) => item.name)).toEqual(['renewal_date']);
    const relabeled = await api.request<{ label: string; version: number }>('PATCH', '/v1/properties/deals/renewal_date', { body: { label: 'Renewal date' }, headers: { 'if-match': '"1"' } });
    expect(relabeled.json).toMatchObject({ label: 'Renewal date', version: 2 });
    expect((await api.request('PATCH', '/v1/properties/deals/renewal_date', { body: { type: 'number' } })).status).toBe(400);
    expect((await api.request('DELETE', '/v1/properties/deals/renewal_date')).status).toBe(204);
    expect((await api.request('GET', '/v1/properties/deals/renewal_date')).status).toBe(404);
  });

  it('answers a retried create whose first attempt wrote the definition (a crash before the response was kept) with that definition', async () => {
    const body = { name: 'tier', label: 'Tier', type: 'enum', options: [{ value: 'gold', label: 'Gold' }] };
    // What a crash after the write leaves: the definition, and no stored response for the key.
    expect((await api.request('POST', '/v1/properties/companies', { body })).status).toBe(201);
    const retried = await api.request<{ name: string; version: number }>('POST', '/v1/properties/companies', { body, headers: { 'idempotency-key': 'define-tier' } });
    expect(retried.status).toBe(201);
    expect(retried.json).toMatchObject({ name: 'tier', version: 1 });
    // Without a key it is a second definition of the name; with a key and another body, not the same request.
    expect((await api.request('POST', '/v1/properties/companies', { body })).status).toBe(409);
    expect((await api.request('POST', '/v1/properties/companies', { body: { ...body, label: 'Level' }, headers: { 'idempotency-key': 'define-level' } })).status).toBe(409);
  });
});

describe('meta', () => {
  it('serves health, the OpenAPI document and the reference page without a table', async () => {
    expect((await api.request('GET', '/health')).json).toEqual({ status: 'ok' });
    const document = await api.request<{ openapi: string; paths: Record<string, unknown> }>('GET', '/openapi.json');
    expect(document.json!.openapi).toBe('3.1.0');
    expect(Object.keys(document.json!.paths)).toEqual(expect.arrayContaining(['/v1/contacts', '/v1/contacts/{id}', '/v1/deals/{id}/timeline', '/v1/properties/{objectType}/{name}']));
    const page = await api.request('GET', '/docs');
    expect(page.headers.get('content-type')).toContain('text/html');
    // The page loads its script and stylesheet from this API, and nothing from elsewhere.
    const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBe(3);
    for (const asset of assets) {
      expect(asset).toMatch(/^docs\//);
      const file = await api.request('GET', `/${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toMatch(/text\/(javascript|css)/);
    }
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
