import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Input that once got in and broke things for everyone: text that is not well-formed
 * Unicode, timestamps that leave four-digit years, domains normalized two ways, and pages
 * of large records that outgrew Lambda's 6 MB response.
 */

type Problem = { status: number; errors?: { field: string; message: string }[] };
type Page<T> = { items: T[]; nextCursor: string | null };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('text', () => {
  it('refuses strings that are not well-formed (a lone UTF-16 surrogate), naming the field', async () => {
    const sent = await api.request<Problem>('POST', '/v1/activities', { body: '{"kind":"note","body":"broken \\ud800 text"}', headers: { 'content-type': 'application/json' } });
    expect(sent.status).toBe(400);
    expect(sent.json!.errors![0]!.field).toBe('body.body');
    const inBatch = await api.request<Problem>('POST', '/v1/activities/batch', { body: '{"inputs":[{"kind":"note","subject":"fine"},{"kind":"note","subject":"\\udc00"}]}', headers: { 'content-type': 'application/json' } });
    expect(inBatch.status).toBe(400);
    expect(inBatch.json!.errors![0]!.field).toBe('body.inputs.1.subject');
    // Refused as a key too, and the answer names it without echoing the ill-formed text.
    const asKey = await api.request<Problem>('POST', '/v1/contacts', { body: '{"firstName":"Ada","properties":{"\\ud800":"x"}}', headers: { 'content-type': 'application/json' } });
    expect(asKey.status).toBe(400);
    expect(asKey.text).not.toMatch(/\\ud800/i);
    expect(asKey.json!.errors!.map((issue) => issue.field)).toContain('body.properties.\ufffd');
  });

  it('keeps every list page under Lambda\'s 6 MB response, however large its records', async () => {
    for (const name of ['notes_a', 'notes_b', 'notes_c']) {
      expect((await api.request('POST', '/v1/properties/activities', { body: { name, label: name, type: 'string' } })).status).toBe(201);
    }
    // Each record is about 70 KB of JSON: quotes are escaped, so 20,000 of them take 40 KB.
    const heavy = { kind: 'note', subject: 'Heavy', body: '"'.repeat(20_000), properties: { notes_a: '"'.repeat(5_000), notes_b: '"'.repeat(5_000), notes_c: '"'.repeat(5_000) } };
    for (let batch = 0; batch < 10; batch++) {
      const created = await api.request('POST', '/v1/activities/batch', { body: { inputs: Array.from({ length: 10 }, () => heavy) } });
      expect(created.status).toBe(200);
    }
    const page = await api.request<Page<unknown>>('GET', '/v1/activities?kind=note&limit=100');
    expect(page.status).toBe(200);
    expect(Buffer.byteLength(page.text)).toBeLessThan(6 * 1024 * 1024);
    expect(page.json!.nextCursor).not.toBeNull();
    let seen = page.json!.items.length;
    for (let cursor = page.json!.nextCursor; cursor; ) {
      const next = await api.request<Page<unknown>>('GET', `/v1/activities?kind=note&limit=100&cursor=${cursor}`);
      seen += next.json!.items.length;
      cursor = next.json!.nextCursor;
    }
    expect(seen).toBe(100);
  }, 60_000);
});

describe('timestamps', () => {
  it('accept offsets and store UTC', async () => {
    const created = await api.request<{ occurredAt: string }>('POST', '/v1/activities', { body: { kind: 'call', occurredAt: '2026-01-01T00:30:00+02:00' } });
    expect(created.json!.occurredAt).toBe('2025-12-31T22:30:00.000Z');
  });

  it.each([
    ['a UTC year past 9999', '9999-12-31T23:59:59-14:00'],
    ['year 0000', '0000-01-01T00:00:00Z'],
  ])('refuse %s', async (_name, occurredAt) => {
    const refused = await api.request<Problem>('POST', '/v1/activities', { body: { kind: 'call', occurredAt } });
    expect(refused.status).toBe(400);
    expect(refused.json!.errors![0]!.field).toBe('body.occurredAt');
    expect((await api.request('GET', `/v1/contacts?updatedSince=${encodeURIComponent(occurredAt)}`)).status).toBe(400);
  });
});

describe('company domains', () => {
  it('are normalized once, the same way for the record, its uniqueness and lookups', async () => {
    const created = await api.request<{ id: string; domain: string }>('POST', '/v1/companies', { body: { name: 'Doubled', domain: 'https://www.www.doubled.example/about' } });
    expect(created.status).toBe(201);
    const stored = created.json!.domain;
    // Stored, guarded and looked up as one value: normalizing what is stored changes nothing.
    expect(stored).toBe('doubled.example');
    const lookup = await api.request<Page<{ id: string }>>('GET', `/v1/companies?domain=${encodeURIComponent(stored)}`);
    expect(lookup.json!.items.map((company) => company.id)).toEqual([created.json!.id]);
    const clash = await api.request<{ existingId: string }>('POST', '/v1/companies', { body: { name: 'Same', domain: stored } });
    expect(clash.status).toBe(409);
    expect(clash.json!.existingId).toBe(created.json!.id);
    // And a domain that normalizes to something else is free.
    expect((await api.request('POST', '/v1/companies', { body: { name: 'Other', domain: `sub.${stored}` } })).status).toBe(201);
  });
});
