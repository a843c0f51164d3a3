import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Exports through the API, run by the export state machine on the local Step Functions and
 * written to the local S3, downloaded through the presigned URL the API hands out. Parts are
 * small here (EXPORT_PART_BYTES), so even a small export is written in several parts and steps.
 */

let api: TestApi;
beforeAll(async () => {
  process.env.EXPORT_PART_BYTES = '2000';
  api = await startTestApi({ automations: true });
  await api.addOwners('rep-ana', 'rep-bo');
});
afterAll(async () => {
  await api?.close();
});

type Rec = Record<string, any> & { id: string };
type ExportView = { id: string; status: string; rows: number; downloadUrl: string | null; error: string | null; filters: Record<string, string> };

const create = (collection: string, body: Record<string, unknown>) => api.create<Rec>(collection, body);

/** Starts an export and follows its Location until it ends. */
async function exportOf(body: Record<string, unknown>, as?: Parameters<TestApi['request']>[2] extends infer O ? (O extends { as?: infer A } ? A : never) : never): Promise<ExportView> {
  const started = await api.request<ExportView>('POST', '/v1/exports', { body, ...(as ? { as } : {}) });
  expect(started.status, started.text).toBe(202);
  const location = started.headers.get('location')!;
  expect(location).toBe(`/v1/exports/${started.json!.id}`);
  for (let waited = 0; waited < 60_000; waited += 100) {
    const current = await api.request<ExportView>('GET', location, as ? { as } : {});
    if (current.json!.status !== 'running') return current.json!;
    await sleep(100);
  }
  throw new Error('the export did not finish in 60 s');
}

async function download(view: ExportView): Promise<{ text: string; disposition: string | null }> {
  expect(view.status, view.error ?? '').toBe('done');
  const response = await fetch(view.downloadUrl!);
  expect(response.status).toBe(200);
  return { text: await response.text(), disposition: response.headers.get('content-disposition') };
}

describe('exports', () => {
  it('writes every contact of a filtered list to CSV, in several parts, with custom properties and associations', { timeout: 90_000 }, async () => {
    expect((await api.request('POST', '/v1/properties/contacts', { body: { name: 'region', label: 'Region', type: 'string' } })).status).toBe(201);
    const company = await create('companies', { name: 'Exportco', domain: 'exportco.example' });
    const mine: Rec[] = [];
    for (let n = 0; n < 30; n++) {
      mine.push(
        await create('contacts', {
          firstName: n === 0 ? 'Zoë, "the first"' : `Ana${n}`,
          lastName: n === 1 ? 'Line\nbreak' : 'Export',
          email: `ana${n}@export.example`,
          ownerId: 'rep-ana',
          companyIds: [company.id],
          tags: ['vip', 'emea'],
          properties: { region: 'north' },
        }),
      );
    }
    await create('contacts', { firstName: 'Bo', email: 'bo@export.example', ownerId: 'rep-bo' });

    const view = await exportOf({ type: 'contacts', filters: { ownerId: 'rep-ana' } });
    expect(view).toMatchObject({ rows: 30, filters: { ownerId: 'rep-ana', sort: 'updatedAt', order: 'asc' } });
    const { text, disposition } = await download(view);
    expect(disposition).toBe(`attachment; filename="contacts-${view.id}.csv"`);
    const rows: Record<string, string>[] = parse(text, { columns: true });
    // Oldest first, each once, across parts of 2,000 bytes.
    expect(rows.map((row) => row.id)).toEqual(mine.map((contact) => contact.id));
    expect(rows[0]).toMatchObject({ firstName: 'Zoë, "the first"', email: 'ana0@export.example', ownerId: 'rep-ana', companyIds: company.id, tags: 'vip;emea', 'properties.region': 'north' });
    expect(rows[1]!.lastName).toBe('Line\nbreak');
    // Quoted, as RFC 4180 asks of a cell with a line break: a bare LF unquoted ends the row for most readers.
    expect(text).toContain('"Line\nbreak"');
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(['id', 'firstName', 'lastName', 'email', 'createdAt', 'updatedAt', 'version', 'properties.region']));
    expect(text.length).toBeGreaterThan(3 * 2000);
  });

  it('writes JSON Lines as the API returns each record, and an empty list as an empty file', async () => {
    const deal = await create('deals', { name: 'Lines deal', amount: 1200.5, currency: 'EUR', ownerId: 'rep-bo' });
    const { text } = await download(await exportOf({ type: 'deals', format: 'jsonl', filters: { ownerId: 'rep-bo' } }));
    const records = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(records).toEqual([(await api.request<Rec>('GET', `/v1/deals/${deal.id}`)).json]);

    const empty = await exportOf({ type: 'deals', format: 'csv', filters: { ownerId: 'rep-ana' } });
    expect(empty.rows).toBe(0);
    const { text: header } = await download(empty);
    expect(header.trim().split(',')[0]).toBe('id');
    expect(header.trim().split('\r\n')).toHaveLength(1);
  });

  it('refuses, before starting, what the list route refuses, and lets only the author or an admin read an export', async () => {
    for (const body of [
      { type: 'contacts', filters: { nonsense: 'x' } },
      { type: 'contacts', filters: { sort: 'favouriteColour' } },
      { type: 'contacts', filters: { cursor: 'abc' } },
      { type: 'gizmos' },
      { type: 'contacts', format: 'xlsx' },
    ]) {
      const response = await api.request<{ type: string }>('POST', '/v1/exports', { body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
    const member = { kind: 'user', id: 'rep-bo', role: 'member' } as const;
    const own = await exportOf({ type: 'companies' }, member);
    expect(own.status).toBe('done');
    expect((await api.request('GET', `/v1/exports/${own.id}`, { as: { kind: 'user', id: 'rep-ana', role: 'member' } })).status).toBe(403);
    expect((await api.request('GET', `/v1/exports/${own.id}`)).status).toBe(200);
    expect((await api.request('GET', '/v1/exports/01JB0EXAMP1E00000000000000')).status).toBe(404);
  });

  it('starts one export for one Idempotency-Key, however often the request is sent', async () => {
    const headers = { 'idempotency-key': 'export-once-1' };
    const [first, second] = await Promise.all([
      api.request<ExportView>('POST', '/v1/exports', { body: { type: 'companies' }, headers }),
      api.request<ExportView>('POST', '/v1/exports', { body: { type: 'companies' }, headers }),
    ]);
    const statuses = [first.status, second.status].sort();
    // The second either replays the first's answer or is told the first is still in progress.
    expect([[202, 202], [202, 409]]).toContainEqual(statuses);
    const third = await api.request<ExportView>('POST', '/v1/exports', { body: { type: 'companies' }, headers });
    expect(third.status).toBe(202);
    expect(third.json!.id).toBe((first.status === 202 ? first : second).json!.id);
  });
});
