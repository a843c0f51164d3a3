import { describe, expect, it } from 'vitest';
import { InvalidCursorError } from '../../domain/shared/errors';
import { defineIndex, type ListQuery } from '../../domain/shared/key-design';
import { fittingCount, queryList } from '../../domain/shared/pagination';
import type { CrmTablePort, Item, KeyQuery, PageKey } from '../../domain/shared/table-port';

/**
 * Cursor checks and byte budgets need no table: a port that answers from an array is
 * enough to see which positions a cursor resumes from. The merge itself is tested on
 * DynamoDB Local (test/data/pagination.test.ts).
 */

const byOwner = defineIndex({
  pattern: 'testByOwner',
  index: 'gsi2',
  partition: ({ ownerId }: { ownerId: string }) => ['THING', 'OWNER', ownerId],
  shards: 4,
  sort: ({ at, id }: { at: string; id: string }) => `${at}#${id}`,
  shardBy: ({ id }) => id,
  range: ({ since }: { since?: string }) => (since ? { kind: 'between', from: since, to: '~' } : undefined),
});

/** Answers each partition's Query from `items`, as DynamoDB would, and records the start keys it was asked for. */
function arrayTable(items: Item[]): CrmTablePort & { starts: (PageKey | undefined)[] } {
  const starts: (PageKey | undefined)[] = [];
  return {
    starts,
    async query(query: KeyQuery, page: { limit: number; startKey?: PageKey }) {
      starts.push(page.startKey);
      const pkName = `${query.index}pk`;
      const skName = `${query.index}sk`;
      const sorted = items.filter((item) => item[pkName] === query.partitionKey).sort((a, b) => String(b[skName]).localeCompare(String(a[skName])));
      const from = page.startKey ? sorted.findIndex((item) => item.pk === page.startKey!.pk) + 1 : 0;
      const slice = sorted.slice(from, from + page.limit);
      const more = from + page.limit < sorted.length;
      const last = slice.at(-1);
      return { items: slice, ...(more && last ? { lastKey: { pk: last.pk, sk: last.sk, [pkName]: String(last[pkName]), [skName]: String(last[skName]) } } : {}) };
    },
    getItem: async () => undefined,
    getItems: async () => [],
    transactWrite: async () => undefined,
    tryTransactWrite: async () => [],
    deleteItems: async () => undefined,
    putItems: async () => undefined,
    increment: async () => 1,
  };
}

const things = (count: number, ownerId = 'u1') =>
  Array.from({ length: count }, (_, n) => {
    const id = `T${String(n).padStart(3, '0')}`;
    return { pk: `THING#${id}`, sk: 'RECORD', id, ...byOwner.attributes({ ownerId }, { at: `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`, id }) } as Item;
  });

const encode = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');
/** A real cursor of the list, with its positions replaced. */
const forge = (cursor: string, changes: Record<string, unknown>) => encode({ ...JSON.parse(Buffer.from(cursor, 'base64url').toString()), ...changes });

describe('sharded list cursors', () => {
  it('resume each shard where the previous page stopped', async () => {
    const table = arrayTable(things(40));
    const query = byOwner.query({ ownerId: 'u1' });
    const first = await queryList(table, query, { limit: 10 });
    table.starts.length = 0;
    await queryList(table, query, { limit: 10, cursor: first.cursorAfter()! });
    // Every shard the first page took from resumes after its last item; the others start afresh.
    const tookFrom = new Set(first.items.map((item) => item.gsi2pk));
    expect(table.starts.filter((start) => start !== undefined)).toHaveLength(tookFrom.size);
  });

  const realCursor = async (query = byOwner.query({ ownerId: 'u1' })) => (await queryList(arrayTable([...things(40), ...things(40, 'u2')]), query, { limit: 5 })).cursorAfter()!;

  it.each([
    ['not base64 json', async () => '%%%'],
    ['json that is not a cursor', async () => encode([1, 2])],
    ['a version-1 cursor', async () => encode({ v: 1, p: 'testByOwner', k: {} })],
    ['another access pattern', async () => forge(await realCursor(), { p: 'recordsByType' })],
    ["another partition's list", async () => realCursor(byOwner.query({ ownerId: 'u2' }))],
    ['a shard the list does not have', async () => forge(await realCursor(), { s: { 9: ['2026#T001', 'THING#T001', 'RECORD'] } })],
    ['a position of the wrong shape', async () => forge(await realCursor(), { s: { 0: ['2026#T001'] } })],
    ['a position that is not text', async () => forge(await realCursor(), { s: { 0: [1, 2, 3] } })],
  ])('rejects %s', async (_name, cursor) => {
    await expect(queryList(arrayTable([]), byOwner.query({ ownerId: 'u1' }), { limit: 10, cursor: await cursor() })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('rejects a position outside the list range', async () => {
    const query: ListQuery = byOwner.query({ ownerId: 'u1' }, { since: '2026-06-01' });
    const cursor = forge(await realCursor(query), { s: { 0: ['2026-01-01T00:00:00.000Z#T000', 'THING#T000', 'RECORD'] } });
    await expect(queryList(arrayTable([]), query, { limit: 10, cursor })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('returns a shorter page, never a gap, when one shard holds more than its share', async () => {
    // Every item in shard 0: each shard is asked for its share plus a margin, so pages come back short.
    const crowded: Item[] = things(30).map((item) => ({ ...item, gsi2pk: 'THING#S0#OWNER#u1' }));
    const ids: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await queryList(arrayTable(crowded), byOwner.query({ ownerId: 'u1' }), { limit: 20, ...(cursor ? { cursor } : {}) });
      expect(page.items.length).toBeLessThan(20);
      ids.push(...page.items.map((item) => item.id as string));
      cursor = page.cursorAfter() ?? undefined;
      pages++;
    } while (cursor);
    expect(ids).toEqual(crowded.map((item) => item.id).reverse());
    expect(pages).toBeGreaterThan(2);
  });

  it('returns an item once when the index still shows it under its old key too', async () => {
    // Mid-migration an eventually consistent index can list one item under both keys for a moment.
    const moved = things(6);
    const legacyCopies = moved.slice(0, 2).map((item) => ({ ...item, gsi2pk: 'THING#OWNER#u1' }));
    const table = arrayTable([...moved, ...legacyCopies]);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryList(table, byOwner.query({ ownerId: 'u1' }), { limit: 2, ...(cursor ? { cursor } : {}) }, { readLegacy: true });
      ids.push(...page.items.map((item) => item.id as string));
      cursor = page.cursorAfter() ?? undefined;
    } while (cursor);
    expect(ids).toEqual(moved.map((item) => item.id).reverse());
  });

  it('accepts a cursor that names the legacy partition after the migration finished', async () => {
    const cursor = forge(await realCursor(), { s: { L: 0 } });
    await expect(queryList(arrayTable(things(3)), byOwner.query({ ownerId: 'u1' }), { limit: 10, cursor })).resolves.toBeDefined();
  });
});

describe('page byte budget', () => {
  const value = (size: number) => ({ text: 'x'.repeat(size) });

  it('keeps a page that fits', () => {
    expect(fittingCount([value(10), value(10)], 1_000)).toBe(2);
  });

  it('cuts a page that would outgrow the budget', () => {
    expect(fittingCount([value(400), value(400), value(400)], 1_000)).toBe(2);
  });

  it('always keeps at least one entry, so paging makes progress', () => {
    expect(fittingCount([value(5_000)], 1_000)).toBe(1);
  });

  it('counts nothing for entries that yield no value', () => {
    expect(fittingCount([undefined, value(600), undefined, value(600)], 1_000)).toBe(3);
  });
});
