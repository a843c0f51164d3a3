import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamPoller } from '../../local/stream-poller';
import { pollStream } from '../support/stream-consumers';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Lists cut by several filters, sorted either way, with ranges and filterable custom
 * properties, through the API, with the list entries kept by the real record indexer on
 * DynamoDB Local's stream; and the 400s that say what is supported.
 */

type Rec = { id: string } & Record<string, unknown>;
interface Page {
  items: Rec[];
  nextCursor: string | null;
}

let api: TestApi;
let poller: StreamPoller;
beforeAll(async () => {
  api = await startTestApi({ streams: true });
  poller = await pollStream(api, 'recordIndexer', 'recordSweeper');
  await api.addOwners('list-ann', 'list-bob');
});
afterAll(async () => {
  await poller?.stop();
  await api?.close();
});

const create = (collection: string, body: Record<string, unknown>) => api.create<Rec>(collection, body);

async function patch(collection: string, id: string, body: Record<string, unknown>): Promise<Rec> {
  const response = await api.request<Rec>('PATCH', `/v1/${collection}/${id}`, { body });
  expect(response.status, response.text).toBe(200);
  return response.json!;
}

async function list(path: string): Promise<Page> {
  await poller.drain();
  const response = await api.request<Page>('GET', path);
  expect(response.status, response.text).toBe(200);
  return response.json!;
}

/** Every page of a list, followed by its cursors. */
async function everything(path: string, limit: number): Promise<Rec[]> {
  await poller.drain();
  const found: Rec[] = [];
  let cursor: string | null = null;
  do {
    const response: Awaited<ReturnType<typeof api.request<Page>>> = await api.request<Page>('GET', `${path}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(response.status, response.text).toBe(200);
    found.push(...response.json!.items);
    cursor = response.json!.nextCursor;
  } while (cursor);
  return found;
}

async function refused(path: string) {
  await poller.drain();
  const response = await api.request<{ detail: string; errors: { field: string; message: string }[] }>('GET', path);
  expect(response.status, response.text).toBe(400);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  return response.json!;
}

const ids = (records: readonly Rec[]) => records.map((record) => record.id);

describe('contacts by owner and lifecycle stage, by tag, sorted', () => {
  it('combines owner and stage, and sorts by name, creation or update either way', async () => {
    const zoe = await create('contacts', { firstName: 'Zoë', lastName: 'Adams', ownerId: 'list-ann', lifecycleStage: 'customer' });
    const emile = await create('contacts', { firstName: 'Émile', lastName: 'Zola', ownerId: 'list-ann', lifecycleStage: 'customer' });
    const bea = await create('contacts', { firstName: 'Bea', lastName: 'Müller', ownerId: 'list-ann', lifecycleStage: 'customer' });
    await create('contacts', { firstName: 'Other', lastName: 'Stage', ownerId: 'list-ann', lifecycleStage: 'lead' });
    await create('contacts', { firstName: 'Other', lastName: 'Owner', ownerId: 'list-bob', lifecycleStage: 'customer' });

    const base = '/v1/contacts?ownerId=list-ann&lifecycleStage=customer';
    expect(ids((await list(`${base}&sort=name`)).items)).toEqual([zoe.id, bea.id, emile.id]);
    expect(ids((await list(`${base}&sort=name&order=desc`)).items)).toEqual([emile.id, bea.id, zoe.id]);
    expect(ids((await list(`${base}&sort=updatedAt&order=asc`)).items)).toEqual([zoe.id, emile.id, bea.id]);
    // Unsorted: latest update first.
    await patch('contacts', zoe.id, { title: 'CEO' });
    expect(ids((await list(base)).items)).toEqual([zoe.id, bea.id, emile.id]);

    // A contact that moves on leaves the list, and joins the other one.
    await patch('contacts', bea.id, { lifecycleStage: 'evangelist' });
    expect(ids((await list(`${base}&sort=name`)).items)).toEqual([zoe.id, emile.id]);
    expect(ids((await list('/v1/contacts?ownerId=list-ann&lifecycleStage=evangelist&sort=name')).items)).toEqual([bea.id]);
    // Deleted, it is gone from every list.
    expect((await api.request('DELETE', `/v1/contacts/${emile.id}`)).status).toBe(204);
    expect(ids((await list(`${base}&sort=name`)).items)).toEqual([zoe.id]);
  });

  it('pages a sorted list by cursor, each record once and in order, both ways', async () => {
    const names = Array.from({ length: 23 }, (_, n) => `Pager${String.fromCharCode(65 + ((n * 7) % 23))}${n}`);
    const created = await Promise.all(names.map((lastName) => create('contacts', { lastName, tags: ['Paged'] })));
    const byName = [...created].sort((a, b) => String(a.lastName).toLowerCase().localeCompare(String(b.lastName).toLowerCase())).map((record) => record.id);

    // Tags match whatever their case.
    expect(ids(await everything('/v1/contacts?tag=paged&sort=name', 5))).toEqual(byName);
    expect(ids(await everything('/v1/contacts?tag=PAGED&sort=name&order=desc', 4))).toEqual([...byName].reverse());
    const newestFirst = ids(await everything('/v1/contacts?tag=Paged&sort=updatedAt', 6));
    expect(new Set(newestFirst)).toEqual(new Set(byName));
  });

  it('lists a company contacts by name, and says which parameter it cannot take', async () => {
    const company = await create('companies', { name: 'Sorted Co', domain: 'sorted-co.example' });
    const first = await create('contacts', { firstName: 'Yann', lastName: 'B', companyIds: [company.id] });
    const second = await create('contacts', { firstName: 'Xavier', lastName: 'A', companyIds: [company.id] });
    expect(ids((await list(`/v1/contacts?companyId=${company.id}&sort=name`)).items)).toEqual([second.id, first.id]);
    expect(new Set(ids((await list(`/v1/contacts?companyId=${company.id}`)).items))).toEqual(new Set([first.id, second.id]));
    const since = await refused(`/v1/contacts?companyId=${company.id}&updatedSince=${encodeURIComponent(second.updatedAt as string)}`);
    expect(since).toMatchObject({ detail: 'Lists of contacts filtered by companyId sort by name.', errors: [{ field: 'query.updatedSince' }] });
  });
});

describe('deals by pipeline, stage and owner, by status and close date, by amount', () => {
  it('answers the board column of one owner, deals closing between two dates, and the biggest first', async () => {
    await api.addOwners('deal-owner');
    const deal = (name: string, extra: Record<string, unknown>) => create('deals', { name, ownerId: 'deal-owner', tags: ['q-list'], ...extra });
    const big = await deal('Big', { amount: 90_000, expectedCloseDate: '2026-02-10' });
    const small = await deal('Small', { amount: 900, expectedCloseDate: '2026-03-31' });
    const undated = await deal('Undated', { amount: 50 });
    const unpriced = await deal('Unpriced', { expectedCloseDate: '2026-04-01' });
    const won = await deal('Won', { amount: 5_000, expectedCloseDate: '2026-03-01', stageId: 'closed_won' });

    // Closing in Q1, open only, soonest first (and latest first).
    expect(ids((await list('/v1/deals?status=open&expectedCloseDate.gte=2026-01-01&expectedCloseDate.lte=2026-03-31')).items)).toEqual(
      expect.arrayContaining([big.id, small.id]),
    );
    const q1 = ids((await list('/v1/deals?ownerId=deal-owner&status=open&expectedCloseDate.gte=2026-01-01&expectedCloseDate.lte=2026-03-31')).items);
    expect(q1).toEqual([big.id, small.id]);
    expect(ids((await list('/v1/deals?ownerId=deal-owner&status=open&expectedCloseDate.gte=2026-01-01&expectedCloseDate.lte=2026-03-31&order=desc')).items)).toEqual([small.id, big.id]);
    expect(ids((await list('/v1/deals?ownerId=deal-owner&status=won&sort=expectedCloseDate')).items)).toEqual([won.id]);

    // By amount, largest first; a deal with no amount sorts last ascending, first descending.
    expect(ids((await list('/v1/deals?status=open&sort=amount')).items)).toEqual([unpriced.id, big.id, small.id, undated.id]);
    expect(ids((await list('/v1/deals?status=open&sort=amount&order=asc')).items)).toEqual([undated.id, small.id, big.id, unpriced.id]);
    expect(new Set(ids((await list('/v1/deals?tag=q-list')).items))).toEqual(new Set([big.id, small.id, undated.id, unpriced.id, won.id]));

    // One owner's deals in one stage of a pipeline.
    const column = ids((await list(`/v1/deals?pipelineId=${big.pipelineId}&stageId=${big.stageId}&ownerId=deal-owner&sort=expectedCloseDate`)).items);
    expect(column).toEqual([big.id, small.id, unpriced.id, undated.id]);
    await patch('deals', small.id, { stageId: won.stageId });
    expect(ids((await list(`/v1/deals?pipelineId=${big.pipelineId}&stageId=${big.stageId}&ownerId=deal-owner&sort=expectedCloseDate`)).items)).toEqual([big.id, unpriced.id, undated.id]);
    expect(ids((await list('/v1/deals?ownerId=deal-owner&status=won&sort=expectedCloseDate')).items)).toEqual([won.id, small.id]);
  });
});

describe('activities by record and kind, open tasks by assignee and due date', () => {
  it('lists the calls of one company newest first, and one user open tasks due in a window', async () => {
    await api.addOwners('task-doer');
    const company = await create('companies', { name: 'Callers', domain: 'callers.example' });
    const early = await create('activities', { kind: 'call', companyIds: [company.id], occurredAt: '2026-05-01T09:00:00Z' });
    const late = await create('activities', { kind: 'call', companyIds: [company.id], occurredAt: '2026-06-01T09:00:00Z' });
    await create('activities', { kind: 'meeting', companyIds: [company.id], occurredAt: '2026-06-02T09:00:00Z' });
    expect(ids((await list(`/v1/activities?companyId=${company.id}&kind=call`)).items)).toEqual([late.id, early.id]);
    expect(ids((await list(`/v1/activities?companyId=${company.id}&kind=call&occurredAt.gte=2026-05-15T00:00:00Z`)).items)).toEqual([late.id]);

    const task = (subject: string, dueAt: string) => create('activities', { kind: 'task', subject, assigneeId: 'task-doer', dueAt });
    const done = await task('done first', '2026-05-10T12:00:00Z');
    const june = await task('june', '2026-06-10T12:00:00Z');
    const july = await task('july', '2026-07-10T12:00:00Z');
    const august = await task('august', '2026-08-10T12:00:00Z');
    await patch('activities', done.id, { taskStatus: 'done' });
    // Unsorted: open before done, each by due time.
    expect(ids((await list('/v1/activities?assigneeId=task-doer')).items)).toEqual([june.id, july.id, august.id, done.id]);
    const window = '/v1/activities?assigneeId=task-doer&taskStatus=open&dueAt.gte=2026-06-01T00:00:00Z&dueAt.lte=2026-07-31T23:59:59Z';
    expect(ids((await list(window)).items)).toEqual([june.id, july.id]);
    expect(ids((await list(`${window}&order=desc`)).items)).toEqual([july.id, june.id]);
  });
});

describe('custom properties marked filterable', () => {
  it('filters by equality, by range, and sorts by a number property', async () => {
    const define = async (body: Record<string, unknown>) => expect((await api.request('POST', '/v1/properties/companies', { body })).status).toBe(201);
    await define({ name: 'region', label: 'Region', type: 'enum', options: [{ value: 'emea', label: 'EMEA' }, { value: 'apac', label: 'APAC' }], filterable: true });
    await define({ name: 'seats', label: 'Seats', type: 'number', filterable: true });
    await define({ name: 'renewal', label: 'Renewal', type: 'date', filterable: true });
    await define({ name: 'segment', label: 'Segment', type: 'string', filterable: true });
    await define({ name: 'motto', label: 'Motto', type: 'string' });

    const company = (name: string, properties: Record<string, unknown>) => create('companies', { name, properties });
    const a = await company('Prop A', { region: 'emea', seats: 5, renewal: '2026-01-15', segment: 'Enterprise' });
    const b = await company('Prop B', { region: 'emea', seats: 120, renewal: '2026-06-30', segment: 'enterprise' });
    const c = await company('Prop C', { region: 'apac', seats: -3, segment: 'SMB' });
    const d = await company('Prop D', { region: 'apac', seats: 7.5, renewal: '2027-01-01' });

    expect(new Set(ids((await list('/v1/companies?properties.region=emea')).items))).toEqual(new Set([a.id, b.id]));
    // Text properties match whatever their case.
    expect(new Set(ids((await list('/v1/companies?properties.segment=ENTERPRISE')).items))).toEqual(new Set([a.id, b.id]));
    expect(ids((await list('/v1/companies?sort=properties.seats')).items)).toEqual([c.id, a.id, d.id, b.id]);
    expect(ids((await list('/v1/companies?properties.seats.gte=5&properties.seats.lte=100')).items)).toEqual([a.id, d.id]);
    expect(ids((await list('/v1/companies?properties.seats=120')).items)).toEqual([b.id]);
    expect(ids((await list('/v1/companies?properties.renewal.lte=2026-12-31&order=desc')).items)).toEqual([b.id, a.id]);

    // A changed value moves the record between lists.
    await patch('companies', c.id, { properties: { region: 'emea', seats: 6 } });
    expect(new Set(ids((await list('/v1/companies?properties.region=emea')).items))).toEqual(new Set([a.id, b.id, c.id]));
    expect(ids((await list('/v1/companies?properties.seats.gte=5&properties.seats.lte=100')).items)).toEqual([a.id, c.id, d.id]);

    const notFilterable = await refused('/v1/companies?properties.motto=hello');
    expect(notFilterable.detail).toContain('Filterable: region, renewal, seats, segment');
    expect((await refused('/v1/companies?properties.seats=many')).errors).toEqual([{ field: 'query.properties.seats', message: 'expected a number' }]);
    expect((await refused('/v1/companies?properties.seats=0x10')).errors).toEqual([{ field: 'query.properties.seats', message: 'expected a number' }]);
    expect((await refused('/v1/companies?properties.region.gte=emea')).errors[0]!.message).toContain('ranges apply to number and date properties');
    expect((await refused('/v1/companies?properties.region=latam')).errors[0]!.message).toContain('expected one of emea, apac');
  });
});

describe('what lists refuse, and say why', () => {
  it('names the supported combinations and sorts', async () => {
    const combination = await refused('/v1/companies?ownerId=list-ann&industry=software');
    expect(combination.detail).toContain('Supported:');
    expect(combination.detail).toContain('tag sorted by updatedAt, name');
    expect(combination.errors.map((issue) => issue.field).sort()).toEqual(['query.industry', 'query.ownerId']);

    expect((await refused('/v1/contacts?lifecycleStage=lead&sort=amount')).errors[0]!.field).toBe('query.sort');
    expect((await refused('/v1/companies?industry=software&sort=createdAt')).detail).toBe('Lists of companies filtered by industry sort by updatedAt, name.');
    expect((await refused('/v1/deals?amount.gte=5&expectedCloseDate.lte=2026-01-01')).detail).toContain('one field');
    expect((await refused('/v1/deals?amount.gte=10&sort=name')).errors[0]!.field).toBe('query.sort');
    expect((await refused('/v1/deals?expectedCloseDate.gte=2026-05-01&expectedCloseDate.lte=2026-01-01')).errors.map((issue) => issue.field)).toEqual(['query.expectedCloseDate.gte', 'query.expectedCloseDate.lte']);
    expect((await refused('/v1/deals?expectedCloseDate.gte=May')).errors[0]!.field).toBe('query.expectedCloseDate.gte');
    expect((await refused('/v1/contacts?colour=red')).errors[0]!.field).toBe('query.colour');
    expect((await refused('/v1/activities?taskStatus=open')).detail).toContain('assigneeId + taskStatus sorted by dueAt');
    expect((await refused('/v1/activities?assigneeId=task-doer&order=desc')).errors).toEqual([{ field: 'query.order', message: 'not offered by this list' }]);
    expect((await refused('/v1/deals?amount.gte=')).errors[0]!.field).toBe('query.amount.gte');
    expect((await refused(`/v1/deals?amount.gte=1${'0'.repeat(400)}`)).errors[0]!.field).toBe('query.amount.gte');
    expect((await refused('/v1/deals?sort=bogus')).errors[0]!.message).toContain('one of createdAt, updatedAt, name, amount, expectedCloseDate');

    // A cursor of one order resumes no list of the other.
    await Promise.all([1, 2, 3].map((n) => create('contacts', { lastName: `Cursor${n}`, tags: ['cursor-order'] })));
    const first = await list('/v1/contacts?tag=cursor-order&sort=name&limit=1');
    const other = await api.request('GET', `/v1/contacts?tag=cursor-order&sort=name&order=desc&limit=1&cursor=${encodeURIComponent(first.nextCursor!)}`);
    expect(other.status).toBe(400);
  });
});
