import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allOperations } from '../../functions/http/contract';
import { modelOf } from '../../domain/records/record-models';
import type { RecordType } from '../../domain/records/record-model';
import { roles } from '../../domain/shared/actor';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Throws random and malformed requests at every route, as any role, and checks two
 * things: the API only ever answers 2xx/4xx, and afterwards the table still holds
 * together (every unique guard, reference and link agrees with its counterpart).
 */
let api: TestApi;
const knownIds: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  const seeds: [string, Record<string, unknown>][] = [
    ['companies', { name: 'Fuzz Co', domain: 'fuzz.example' }],
    ['contacts', { firstName: 'Fuzz', email: 'fuzz@example.com' }],
    ['deals', { name: 'Fuzz deal' }],
    ['activities', { kind: 'note', body: 'fuzz' }],
  ];
  for (const [collection, body] of seeds) knownIds.push(((await api.request<{ id: string }>('POST', `/v1/${collection}`, { body })).json!).id);
});
afterAll(() => api.close());

// Built on use: the real ids only exist once beforeAll has run.
const pathSegment = () => fc.oneof(
  fc.constantFrom(...knownIds, 'default', 'contacts', 'deals', 'tier'),
  fc.string({ minLength: 1, maxLength: 80 }),
  fc.constantFrom('..', '%00', '%2F', 'a'.repeat(300), '💥', 'DROP TABLE', '{id}'),
);
const queryValue = fc.oneof(fc.string({ maxLength: 40 }), fc.integer().map(String), fc.constantFrom('-1', '1e9', '101', 'NaN', '2026-13-45T99:00:00Z', '%%', 'true'));
const queryString = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom('limit', 'cursor', 'ownerId', 'email', 'domain', 'updatedSince', 'pipelineId', 'stageId', 'companyId', 'contactId', 'kind', 'lifecycleStage', 'actorId', 'recordType', 'recordId'), fc.string({ maxLength: 12 })), queryValue), { maxLength: 4 })
  .map((pairs) => pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&'));
const sampleBody = () => fc.constantFrom<Record<string, unknown>>(
  { firstName: 'A', email: 'a@b.co', companyIds: [knownIds[0]] },
  { name: 'N', domain: 'n.example', amount: 10, stageId: 'closed_won', contactIds: [knownIds[1]], companyId: knownIds[0] },
  { kind: 'task', dueAt: '2026-01-01T00:00:00Z', contactIds: [knownIds[1]], dealIds: [knownIds[2]] },
  { title: 'T', primaryCompanyId: knownIds[0], properties: { tier: 'x' } },
  { inputs: [{ email: 'i@j.co' }, 5, null] },
  { name: 'p', label: 'P', type: 'enum', options: [{ value: 'a', label: 'A' }] },
  { name: 'Pipe', stages: [{ name: 'S', probability: 0.5 }] },
  { subject: 'Hello', text: 'A note.' },
  { name: 'Seq', steps: [{ delayMinutes: 0, subject: 'Hi {{firstName}}', text: 'x' }] },
  { contactId: knownIds[1] },
  { email: 'opt.out@example.com' },
);
const body = () => fc.oneof(
  fc.tuple(sampleBody(), fc.dictionary(fc.string({ maxLength: 15 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 })).map(([sample, noise]) => JSON.stringify({ ...sample, ...noise })),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constant(''),
);
const headers = fc.record(
  {
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/merge-patch+json', 'application/json; charset=utf-8', ''),
    'if-match': fc.oneof(fc.constantFrom('"1"', 'W/"2"', '*', '"999"', 'nonsense'), fc.string({ maxLength: 20 })),
    'idempotency-key': fc.string({ minLength: 1, maxLength: 30 }).filter((key) => /^[\x21-\x7e]+$/.test(key)),
  },
  { requiredKeys: [] },
);

const request = () => fc.record({
  operation: fc.constantFrom(...allOperations),
  segments: fc.array(pathSegment(), { minLength: 2, maxLength: 2 }),
  query: queryString,
  body: body(),
  headers,
  role: fc.constantFrom(...roles),
});

describe('fuzzing every route', () => {
  it('answers only 2xx or 4xx, whatever it is sent', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request(), async ({ operation, segments, query, body: rawBody, headers: rawHeaders, role }) => {
        const [method, template] = operation.routeKey.split(' ') as [string, string];
        let index = 0;
        const path = template.replace(/\{[^}]+\}/g, () => encodeURIComponent(segments[index++ % segments.length]!));
        const sendsBody = method === 'POST' || method === 'PATCH';
        const response = await api.request(method, `${path}${query ? `?${query}` : ''}`, {
          as: { kind: 'user', id: `fuzz-${role}`, role },
          headers: Object.fromEntries(Object.entries(rawHeaders).filter(([, value]) => value !== '')) as Record<string, string>,
          ...(sendsBody ? { body: rawBody } : {}),
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        expect(response.status, `${method} ${path}?${query} → ${response.text.slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: 500, seed: 20261124 },
    );
    console.info('fuzz statuses', Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
    // The run must reach the handlers' success paths too, not only their rejections (random writes reach more: the next test).
    expect([...statuses].filter(([status]) => status < 300).reduce((sum, [, count]) => sum + count, 0)).toBeGreaterThanOrEqual(20);
  });

  it('survives random valid writes, concurrently, by every role', async () => {
    const ids = { contacts: [...knownIds.slice(1, 2)], companies: [knownIds[0]!], deals: [knownIds[2]!], activities: [knownIds[3]!] };
    const pickFrom = (values: string[], n: number) => fc.shuffledSubarray(values, { minLength: 0, maxLength: Math.min(n, values.length) });
    const write = fc.oneof(
      fc.record({ collection: fc.constant('companies'), body: fc.record({ name: fc.constant('Co'), domain: fc.constantFrom('a.example', 'b.example', 'c.example') }) }),
      fc.record({ collection: fc.constant('contacts'), body: fc.record({ email: fc.constantFrom('x@a.example', 'y@a.example', 'X@A.example'), companyIds: pickFrom(ids.companies, 3) }) }),
      fc.record({ collection: fc.constant('deals'), body: fc.record({ name: fc.constant('D'), contactIds: pickFrom(ids.contacts, 3), companyId: fc.constantFrom(...ids.companies) }) }),
      fc.record({ collection: fc.constant('activities'), body: fc.record({ kind: fc.constant('note'), contactIds: pickFrom(ids.contacts, 2), dealIds: pickFrom(ids.deals, 2) }) }),
    );
    const step = fc.record({ action: fc.constantFrom('create', 'create', 'patch', 'delete'), write, pick: fc.nat(), role: fc.constantFrom(...roles) });
    const outcomes = new Map<number, number>();
    const plan = fc.sample(fc.array(step, { minLength: 120, maxLength: 120 }), { numRuns: 1, seed: 7 })[0]!;
    for (let start = 0; start < plan.length; start += 8) {
      const responses = await Promise.all(
        plan.slice(start, start + 8).map(async ({ action, write: { collection, body: sent }, pick, role }) => {
          const pool = ids[collection as keyof typeof ids];
          const as = { kind: 'user', id: `fuzz-${role}`, role } as const;
          if (action === 'create' || pool.length === 0) {
            const created = await api.request<{ id: string }>('POST', `/v1/${collection}`, { as, body: sent });
            if (created.status === 201) pool.push(created.json!.id);
            return created;
          }
          const id = pool[pick % pool.length]!;
          return action === 'patch'
            ? api.request('PATCH', `/v1/${collection}/${id}`, { as, body: sent })
            : api.request('DELETE', `/v1/${collection}/${id}`, { as });
        }),
      );
      for (const response of responses) {
        expect(response.status, response.text).toBeLessThan(500);
        outcomes.set(response.status, (outcomes.get(response.status) ?? 0) + 1);
      }
    }
    console.info('random write statuses', Object.fromEntries(outcomes));
    expect(outcomes.get(201) ?? 0).toBeGreaterThan(10);
  });

  it('leaves the table consistent: guards, references and links agree', async () => {
    // A Scan, in a test only, to see every item; request code can never issue one.
    const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: api.table.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }));
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await raw.send(new ScanCommand({ TableName: api.table.tableName, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);

    const byKey = new Map(items.map((item) => [`${item.pk}|${item.sk}`, item]));
    const live = (type: string, id: string) => {
      const item = byKey.get(`${type.toUpperCase()}#${id}|RECORD`);
      return item && item.deletedAt === undefined ? item : undefined;
    };
    expect(items.some((item) => item.entity === 'tombstone')).toBe(false);

    for (const guard of items.filter((item) => item.entity === 'uniqueGuard')) {
      const [, type, field, value] = String(guard.pk).split('#');
      const record = live(type!.toLowerCase(), guard.recordId as string);
      const model = modelOf(type!.toLowerCase() as RecordType);
      expect(record, `guard ${guard.pk}`).toBeDefined();
      const unique = model.uniqueFields.find((candidate) => candidate.field.toUpperCase() === field)!;
      expect(unique.normalize(String(record![unique.field]))).toBe(value);
    }
    for (const record of items.filter((item) => ['contact', 'company', 'deal', 'activity'].includes(item.entity as string))) {
      const model = modelOf(record.entity as RecordType);
      for (const unique of model.uniqueFields.filter((candidate) => typeof record[candidate.field] === 'string')) {
        const guard = byKey.get(`UNIQUE#${model.type.toUpperCase()}#${unique.field.toUpperCase()}#${unique.normalize(record[unique.field] as string)}|UNIQUE`);
        expect(guard?.recordId, `guard of ${record.pk}`).toBe(record.id);
      }
      for (const reference of model.references) {
        const ids = ([] as string[]).concat((record[reference.field] as string[] | string | undefined) ?? []);
        for (const targetId of ids) {
          expect(live(reference.target, targetId), `${record.pk}.${reference.field} → ${targetId}`).toBeDefined();
          const link = items.find((item) => item.entity === 'link' && item.pk === `${reference.target.toUpperCase()}#${targetId}` && item.sourceId === record.id);
          expect(link, `link for ${record.pk}.${reference.field} → ${targetId}`).toBeDefined();
        }
      }
    }
    for (const link of items.filter((item) => item.entity === 'link')) {
      const source = live(link.sourceType as string, link.sourceId as string);
      expect(source, `source of link ${link.pk} ${link.sk}`).toBeDefined();
      const targetId = String(link.pk).split('#')[1];
      expect(([] as unknown[]).concat(source![link.field as string] ?? [])).toContain(targetId);
    }
  });
});
