import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCrmTable } from '../../adapters/dynamodb/dynamodb-crm-table';
import { ConflictError, InvalidCursorError, UniqueValueTakenError } from '../../domain/shared/errors';
import { recordQueries } from '../../domain/shared/keys';
import type { Item } from '../../domain/shared/table-port';
import { createTestTable } from '../support/local-dynamodb';

let table: DynamoDbCrmTable;
beforeAll(async () => {
  const test = await createTestTable();
  table = new DynamoDbCrmTable(test.client, test.tableName);
});

const record = (id: string, extra: Record<string, unknown> = {}): Item => ({ pk: `CONTACT#${id}`, sk: 'RECORD', id, version: 1, entity: 'contact', ...extra });

describe('DynamoDbCrmTable on DynamoDB Local', () => {
  it('raises the error of the operation whose condition failed, and writes nothing', async () => {
    await table.transactWrite([{ op: 'put', item: record('T1'), condition: { kind: 'absent' } }]);
    await expect(
      table.transactWrite([
        { op: 'put', item: record('T2'), condition: { kind: 'absent' } },
        { op: 'put', item: record('T1'), condition: { kind: 'absent' }, onConditionFailed: () => new UniqueValueTakenError('email', 'x') },
      ]),
    ).rejects.toBeInstanceOf(UniqueValueTakenError);
    expect(await table.getItem({ pk: 'CONTACT#T2', sk: 'RECORD' })).toBeUndefined();
  });

  it('names every operation whose condition failed when asked to try, and writes nothing', async () => {
    await table.transactWrite([{ op: 'put', item: record('R1'), condition: { kind: 'absent' } }]);
    await table.transactWrite([{ op: 'put', item: record('R3'), condition: { kind: 'absent' } }]);
    const ops = ['R0', 'R1', 'R2', 'R3', 'R4'].map((id) => ({ op: 'put' as const, item: record(id), condition: { kind: 'absent' as const } }));
    expect(await table.tryTransactWrite(ops)).toEqual([1, 3]);
    expect(await table.getItem({ pk: 'CONTACT#R0', sk: 'RECORD' })).toBeUndefined();
    expect(await table.tryTransactWrite([ops[0]!, ops[2]!, ops[4]!])).toEqual([]);
    expect(await table.getItems(['R0', 'R2', 'R4'].map((id) => ({ pk: `CONTACT#${id}`, sk: 'RECORD' })))).toHaveLength(3);
  });

  it('treats tombstones as not live and checks versions', async () => {
    await table.transactWrite([{ op: 'put', item: record('V1', { version: 3 }) }]);
    await expect(table.transactWrite([{ op: 'put', item: record('V1', { version: 4 }), condition: { kind: 'liveAtVersion', version: 2 } }])).rejects.toBeInstanceOf(ConflictError);
    await table.transactWrite([{ op: 'put', item: record('V1', { version: 4 }), condition: { kind: 'liveAtVersion', version: 3 } }]);
    await table.transactWrite([{ op: 'put', item: { pk: 'CONTACT#V1', sk: 'RECORD', deletedAt: 'now' } }]);
    await expect(table.transactWrite([{ op: 'check', key: { pk: 'CONTACT#V1', sk: 'RECORD' }, condition: { kind: 'live' } }])).rejects.toBeInstanceOf(ConflictError);
  });

  it('pages through a partition with start keys, newest first', async () => {
    const items = Array.from({ length: 7 }, (_, index) => ({ pk: 'CONTACT#P', sk: `TL#2026-01-0${index + 1}#change#${index}`, entity: 'timelineChange' }));
    for (const item of items) await table.transactWrite([{ op: 'put', item }]);
    const seen: string[] = [];
    let startKey: Record<string, string> | undefined;
    do {
      const page = await table.query(recordQueries.timeline('contact', 'P'), { limit: 3, ...(startKey ? { startKey } : {}) });
      seen.push(...page.items.map((item) => item.sk));
      startKey = page.lastKey;
    } while (startKey);
    expect(seen).toEqual(items.map((item) => item.sk).reverse());
  });

  it('turns a start key DynamoDB refuses into an invalid cursor', async () => {
    await expect(table.query(recordQueries.timeline('contact', 'P'), { limit: 3, startKey: { pk: 'CONTACT#OTHER', sk: 'TL#x' } })).rejects.toBeInstanceOf(InvalidCursorError);
  });

  it('reads and deletes more items than one batch call takes', async () => {
    const keys = Array.from({ length: 130 }, (_, index) => ({ pk: `CONTACT#B${index}`, sk: 'RECORD' }));
    for (let index = 0; index < keys.length; index += 25) {
      await Promise.all(keys.slice(index, index + 25).map((key) => table.transactWrite([{ op: 'put', item: { ...key, entity: 'contact' } }])));
    }
    expect(await table.getItems([...keys, { pk: 'CONTACT#missing', sk: 'RECORD' }, keys[0]!])).toHaveLength(130);
    await table.deleteItems(keys);
    expect(await table.getItems(keys)).toEqual([]);
  });
});
