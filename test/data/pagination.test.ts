import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCrmTable } from '../../adapters/dynamodb/dynamodb-crm-table';
import { defineIndex, joinKey } from '../../domain/shared/key-design';
import { queryList } from '../../domain/shared/pagination';
import type { Item } from '../../domain/shared/table-port';
import { createTestTable } from '../support/local-dynamodb';

/**
 * Sharded lists on DynamoDB Local: one wave of Queries per page, merged in order; paging
 * to the end sees every item once, also while other items are written, and while items
 * still sit under the pre-sharding partition key.
 */

let table: DynamoDbCrmTable;
beforeAll(async () => {
  const test = await createTestTable();
  table = new DynamoDbCrmTable(test.client, test.tableName);
});

const declare = (pattern: string, shards: number, ascending = false) =>
  defineIndex({
    pattern,
    index: 'gsi1',
    partition: ({ name }: { name: string }) => ['PAGINATIONTEST', name],
    shards,
    sort: ({ at, id }: { at: string; id: string }) => joinKey(at, id),
    shardBy: ({ id }) => id,
    ascending,
  });

type Index = ReturnType<typeof declare>;
const instant = (n: number) => new Date(Date.UTC(2026, 0, 1) + n * 1_000).toISOString();
const itemOf = (index: Index, name: string, n: number, id = `I${String(n).padStart(4, '0')}`): Item => ({ pk: `PT#${id}`, sk: 'RECORD', id, n, ...index.attributes({ name }, { at: instant(n), id }) });

async function putAll(items: readonly Item[]) {
  await table.putItems(items);
}

async function readAll(index: Index, name: string, limit: number, between?: (page: number) => Promise<void>): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await queryList(table, index.query({ name }), { limit, ...(cursor ? { cursor } : {}) });
    expect(page.items.length).toBeLessThanOrEqual(limit);
    ids.push(...page.items.map((item) => item.id as string));
    cursor = page.cursorAfter() ?? undefined;
    pages++;
    await between?.(pages);
  } while (cursor);
  return { ids, pages };
}

describe('sharded lists', () => {
  it('page through every item once, newest first, in full pages', async () => {
    const index = declare('paginationEight', 8);
    const items = Array.from({ length: 57 }, (_, n) => itemOf(index, 'all', n));
    await putAll(items);
    const { ids, pages } = await readAll(index, 'all', 10);
    expect(ids).toEqual(items.map((item) => item.id).reverse());
    expect(pages).toBe(6);
  });

  it('keep ascending order for an ascending list', async () => {
    const index = declare('paginationAscending', 3, true);
    const items = Array.from({ length: 20 }, (_, n) => itemOf(index, 'up', n));
    await putAll(items);
    expect((await readAll(index, 'up', 7)).ids).toEqual(items.map((item) => item.id));
  });

  it('never skip or repeat an unchanged item while others are written during paging', async () => {
    const index = declare('paginationConcurrent', 4);
    const stable = Array.from({ length: 40 }, (_, n) => itemOf(index, 'busy', n * 2));
    await putAll(stable);
    let extra = 0;
    const { ids } = await readAll(index, 'busy', 9, async () => {
      // Between pages: new items anywhere in the order (newer, older, in between), in every shard.
      await putAll(Array.from({ length: 6 }, () => itemOf(index, 'busy', 1 + 2 * (extra++ % 40), `NEW${extra}`)));
    });
    const seenStable = ids.filter((id) => !id.startsWith('NEW'));
    expect(seenStable).toEqual(stable.map((item) => item.id).reverse());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('read the pre-sharding partition too while asked to', async () => {
    const index = declare('paginationLegacy', 4);
    const sharded = Array.from({ length: 15 }, (_, n) => itemOf(index, 'moving', n));
    // Items written under the old single key, as before the shard migration moved them.
    const legacy: Item[] = Array.from({ length: 12 }, (_, n) => ({ ...itemOf(index, 'moving', 100 + n), gsi1pk: joinKey('PAGINATIONTEST', 'moving') }));
    await putAll([...sharded, ...legacy]);
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await queryList(table, index.query({ name: 'moving' }), { limit: 5, ...(cursor ? { cursor } : {}) }, { readLegacy: true });
      ids.push(...page.items.map((item) => item.id as string));
      cursor = page.cursorAfter() ?? undefined;
    } while (cursor);
    expect(ids).toEqual([...sharded, ...legacy].sort((a, b) => Number(b.n) - Number(a.n)).map((item) => item.id));
    // Without the legacy partition, only the sharded items.
    expect((await readAll(index, 'moving', 5)).ids).toEqual(sharded.map((item) => item.id).reverse());
  });

  it('resume after the last item kept when a page is cut short', async () => {
    const index = declare('paginationCut', 4);
    const items = Array.from({ length: 12 }, (_, n) => itemOf(index, 'cut', n));
    await putAll(items);
    const first = await queryList(table, index.query({ name: 'cut' }), { limit: 8 });
    const afterThree = first.cursorAfter(3)!;
    const rest = await queryList(table, index.query({ name: 'cut' }), { limit: 20, cursor: afterThree });
    expect([...first.items.slice(0, 3), ...rest.items].map((item) => item.id)).toEqual(items.map((item) => item.id).reverse());
  });
});
