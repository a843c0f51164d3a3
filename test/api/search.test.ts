import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StreamPoller } from '../../local/stream-poller';
import { pollStream } from '../support/stream-consumers';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Search through the API, with the search index kept by its real stream consumer on
 * DynamoDB Local's stream: accents, umlauts, phone digits, ranking, one hit per record,
 * pages, renames and deletes, and the 400s.
 */

interface Hit {
  type: string;
  id: string;
  match: string;
  field: string;
  record: Record<string, unknown>;
}
interface HitPage {
  items: Hit[];
  nextCursor: string | null;
}

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

async function create(collection: string, body: Record<string, unknown>): Promise<string> {
  const response = await api.request<{ id: string }>('POST', `/v1/${collection}`, { body });
  expect(response.status, response.text).toBe(201);
  return response.json!.id;
}

async function search(query: string, as?: Parameters<TestApi['request']>[2]): Promise<HitPage> {
  await poller.drain();
  const response = await api.request<HitPage>('GET', `/v1/search?${query}`, as);
  expect(response.status, response.text).toBe(200);
  return response.json!;
}

const named = (page: HitPage) => page.items.map((hit) => [hit.type, (hit.record.name as string | undefined) ?? `${hit.record.firstName ?? ''} ${hit.record.lastName ?? ''}`.trim(), hit.match]);

describe('GET /v1/search', () => {
  it('folds case and accents, and spells umlauts out both ways', async () => {
    const jose = await create('contacts', { firstName: 'José', lastName: 'Müller', email: 'jose.mueller@umlaut.example' });
    const mueller = await create('contacts', { firstName: 'Hans', lastName: 'Mueller' });

    expect((await search('q=jose')).items.map((hit) => hit.id)).toEqual([jose]);
    expect((await search('q=JOSÉ')).items.map((hit) => hit.id)).toEqual([jose]);
    const both = [jose, mueller].sort();
    expect((await search('q=müller&types=contacts')).items.map((hit) => hit.id).sort()).toEqual(both);
    expect((await search('q=mueller&types=contacts')).items.map((hit) => hit.id).sort()).toEqual(both);
    // Without the umlaut the plain spelling matches only the name that has it.
    expect((await search('q=muller')).items.map((hit) => hit.id)).toEqual([jose]);
    expect((await search('q=muller j')).items[0]).toMatchObject({ id: jose, match: 'prefix', field: 'name' });
  });

  it('finds a phone number by all its digits and by its ending', async () => {
    const id = await create('contacts', { firstName: 'Phoebe', phone: '+44 20 7946 0958' });
    for (const query of ['2079460958', '0958', '7946 0958', '+44 20 7946 0958']) {
      expect((await search(`q=${encodeURIComponent(query)}`)).items.map((hit) => hit.id), query).toEqual([id]);
    }
    expect((await search(`q=${encodeURIComponent('+44 20 7946 0958')}`)).items[0]).toMatchObject({ match: 'exact', field: 'phone' });
    expect((await search('q=0958')).items[0]).toMatchObject({ match: 'ending', field: 'phone' });
  });

  it('ranks exact matches, then prefixes, then later words; each record once', async () => {
    const exact = await create('contacts', { firstName: 'Zed' });
    const prefix = await create('contacts', { firstName: 'Zedekiah', lastName: 'Zedson', email: 'zedekiah@zed.example' });
    const company = await create('companies', { name: 'Zedcorp', domain: 'zedcorp.example' });
    const word = await create('deals', { name: 'Renewal for Zed Industries' });

    const page = await search('q=zed');
    expect(page.items.map((hit) => [hit.id, hit.match])).toEqual([
      [exact, 'exact'],
      // By matched term: "zedcorp", then "zedekiah zedson" (its email and reversed name match too, further down: left out).
      [company, 'prefix'],
      [prefix, 'prefix'],
      [word, 'word'],
    ]);
    expect(page.nextCursor).toBeNull();
    expect(named(await search('q=zed&types=deals,companies'))).toEqual([
      ['company', 'Zedcorp', 'prefix'],
      ['deal', 'Renewal for Zed Industries', 'word'],
    ]);
  });

  it('finds contacts by email and by email domain, companies by domain', async () => {
    const ada = await create('contacts', { firstName: 'Ada', email: 'ada@analytical.example' });
    const charles = await create('contacts', { firstName: 'Charles', email: 'charles@analytical.example' });
    const engine = await create('companies', { name: 'Difference Engines', domain: 'analytical.example' });

    expect((await search('q=ada@analytical.example')).items).toEqual([expect.objectContaining({ id: ada, match: 'exact', field: 'email' })]);
    const byDomain = await search('q=analytical.example');
    expect(byDomain.items.map((hit) => [hit.id, hit.match, hit.field])).toEqual([
      [engine, 'exact', 'domain'],
      ...[ada, charles].sort().map((id) => [id, 'word', 'emailDomain']),
    ]);
  });

  it('finds names in any script, digits in names, and names a hit by its name first', async () => {
    const wang = await create('contacts', { firstName: '王', lastName: '小明', email: 'xiaoming@example.cn' });
    const eleni = await create('contacts', { firstName: 'Ελένη', lastName: 'Παπαδοπούλου' });
    const studio = await create('deals', { name: 'Studio 2024' });
    const loreal = await create('companies', { name: "L'Oréal Paris" });
    expect((await search(`q=${encodeURIComponent('小明')}`)).items.map((hit) => hit.id)).toEqual([wang]);
    expect((await search(`q=${encodeURIComponent('ελενη')}`)).items.map((hit) => hit.id)).toEqual([eleni]);
    expect((await search('q=2024&types=deals')).items).toEqual([expect.objectContaining({ id: studio, match: 'word', field: 'name' })]);
    expect((await search('q=oreal')).items.map((hit) => hit.id)).toEqual([loreal]);
    // Name and email both begin with the query, equally: the hit names the name.
    const ada = await create('contacts', { firstName: 'Adalind', lastName: 'Byron', email: 'adalind@byron.example' });
    expect((await search('q=adalind')).items).toEqual([expect.objectContaining({ id: ada, match: 'prefix', field: 'name' })]);
  });

  it('pages through many matches without repeating or skipping one', async () => {
    const ids = new Set<string>();
    for (let n = 0; n < 23; n++) ids.add(await create('contacts', { firstName: 'Pagina', lastName: `Paginson${n}`, email: `pagina.${n}@pages.example` }));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: HitPage = await search(`q=pagin&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(7);
      seen.push(...page.items.map((hit) => hit.id));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 20);
    expect(seen.length).toBe(23);
    expect(new Set(seen)).toEqual(ids);
  });

  it('keeps cursors short however long the matched names are', async () => {
    const long = `Longname${'x'.repeat(85)}`;
    for (let n = 0; n < 3; n++) {
      await create('contacts', { firstName: long, lastName: `Person${n}` });
      await create('companies', { name: `${long} Company ${n}` });
      await create('deals', { name: `${long} Deal ${n}` });
    }
    const seen = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: HitPage = await search(`q=longname&limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      for (const hit of page.items) seen.add(hit.id);
      cursor = page.nextCursor;
      expect((cursor ?? '').length).toBeLessThan(4_096);
    } while (cursor);
    expect(seen.size).toBe(9);
  });

  it('follows renames and deletes', async () => {
    const id = await create('companies', { name: 'Oldname Holdings' });
    expect((await search('q=oldname')).items.map((hit) => hit.id)).toEqual([id]);
    expect((await api.request('PATCH', `/v1/companies/${id}`, { body: { name: 'Newname Holdings' } })).status).toBe(200);
    expect((await search('q=oldname')).items).toEqual([]);
    expect((await search('q=newname')).items.map((hit) => hit.id)).toEqual([id]);

    expect([200, 202, 204]).toContain((await api.request('DELETE', `/v1/companies/${id}`)).status);
    expect((await search('q=newname')).items).toEqual([]);
    expect((await search('q=holdings')).items).toEqual([]);
    const left = await api.table.client.send(new QueryCommand({ TableName: api.table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `COMPANY#${id}` } }));
    expect(left.Items).toEqual([]);
  });

  it('lets every role that reads records search, and nobody without a token', async () => {
    await create('contacts', { firstName: 'Visible', lastName: 'Viewerson' });
    expect((await search('q=viewerson', { as: { kind: 'user', id: 'someone', role: 'viewer' } })).items).toHaveLength(1);
    expect((await api.request('GET', '/v1/search?q=viewerson', { as: 'anonymous' })).status).toBe(401);
  });

  it('refuses what it cannot search with a problem naming the parameter', async () => {
    for (const [query, parameter] of [
      ['q=a', 'query.q'],
      ['q=%20%20', 'query.q'],
      ['q=!!', 'query.q'],
      ['q=ab&types=activities', 'query.types'],
      ['q=ab&types=contacts,', 'query.types'],
      ['q=ab&cursor=nonsense', undefined],
      ['', 'query.q'],
    ] as const) {
      const response = await api.request<{ errors?: { field: string }[]; type: string }>('GET', `/v1/search?${query}`);
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      if (parameter) expect(response.json!.errors?.map((error) => error.field), query).toContain(parameter);
    }
  });
});

describe('q= on the lists', () => {
  it('answers records of the list\'s type, and takes no other filter', async () => {
    const contact = await create('contacts', { firstName: 'Listed', lastName: 'Listerine' });
    await create('companies', { name: 'Listerine Labs' });
    await poller.drain();
    const contacts = await api.request<{ items: { id: string; firstName: string }[] }>('GET', '/v1/contacts?q=listerine');
    expect(contacts.json!.items.map((record) => record.id)).toEqual([contact]);
    expect(contacts.json!.items[0]!.firstName).toBe('Listed');
    const companies = await api.request<{ items: { name: string }[] }>('GET', '/v1/companies?q=listerine');
    expect(companies.json!.items.map((record) => record.name)).toEqual(['Listerine Labs']);

    const combined = await api.request<{ errors: { field: string }[] }>('GET', '/v1/contacts?q=listerine&lifecycleStage=lead');
    expect(combined.status).toBe(400);
    expect(combined.json!.errors.map((error) => error.field)).toEqual(['query.lifecycleStage']);
    expect((await api.request('GET', '/v1/activities?q=call')).status).toBe(400);
  });
});
