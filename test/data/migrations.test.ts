import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCrmTable } from '../../adapters/dynamodb/dynamodb-crm-table';
import { activityModel } from '../../domain/records/activity';
import { recordToItem } from '../../domain/records/record-items';
import { ConflictError } from '../../domain/shared/errors';
import { partitionQueries } from '../../domain/shared/key-design';
import { migrationKeys, tasksByAssignee } from '../../domain/shared/keys';
import { indexTasksByAssignee } from '../../migrations/0001-index-tasks-by-assignee';
import type { Migration } from '../../migrations/migration';
import { runMigrations } from '../../migrations/run-migrations';
import { createTestTable } from '../support/local-dynamodb';

let table: DynamoDbCrmTable;
const clock = { now: () => new Date(), sleep: async () => {} };
const quiet = () => undefined;

beforeAll(async () => {
  const test = await createTestTable();
  table = new DynamoDbCrmTable(test.client, test.tableName);
});

describe('data migrations on DynamoDB Local', () => {
  it('runs each migration once, in order, and skips it on the next run', async () => {
    const ran: string[] = [];
    const migration = (id: string): Migration => ({ id, description: id, run: async () => (ran.push(id), { changed: 0 }) });
    const list = [migration('t-0001'), migration('t-0002')];
    expect(await runMigrations({ table, clock }, list, quiet)).toEqual({ applied: ['t-0001', 't-0002'], skipped: [] });
    expect(await runMigrations({ table, clock }, list, quiet)).toEqual({ applied: [], skipped: ['t-0001', 't-0002'] });
    expect(ran).toEqual(['t-0001', 't-0002']);
  });

  it('records nothing for a migration that fails, so the next run retries it, and releases the lock', async () => {
    let attempts = 0;
    const flaky: Migration = { id: 't-flaky', description: 'fails once', run: async () => { attempts++; if (attempts === 1) throw new Error('boom'); return { changed: 1 }; } };
    await expect(runMigrations({ table, clock }, [flaky], quiet)).rejects.toThrow('boom');
    expect(await runMigrations({ table, clock }, [flaky], quiet)).toEqual({ applied: ['t-flaky'], skipped: [] });
  });

  it('refuses to run while another run holds a fresh lock', async () => {
    await table.transactWrite([{ op: 'put', item: { ...migrationKeys.lock(), runId: 'other', takenAt: Date.now(), version: 1 } }]);
    await expect(runMigrations({ table, clock }, [], quiet)).rejects.toBeInstanceOf(ConflictError);
    await table.deleteItems([migrationKeys.lock()]);
  });

  it('0001 adds assignee keys to old tasks, and is a no-op the second time', async () => {
    const task = { id: 'OLDTASK', kind: 'task', assigneeId: 'bob', taskStatus: 'open', occurredAt: '2026-01-01T00:00:00.000Z', contactIds: [], companyIds: [], dealIds: [], createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', version: 1 };
    const { gsi4pk: _pk, gsi4sk: _sk, ...withoutIndex } = recordToItem(activityModel, task);
    await table.transactWrite([{ op: 'put', item: withoutIndex }]);
    const [bobsTasks] = partitionQueries(tasksByAssignee.query({ assigneeId: 'bob' }));
    expect((await table.query(bobsTasks!, { limit: 10 })).items).toEqual([]);

    expect(await indexTasksByAssignee.run({ table, log: quiet })).toEqual({ changed: 1 });
    expect((await table.query(bobsTasks!, { limit: 10 })).items.map((item) => item.id)).toEqual(['OLDTASK']);
    expect(await indexTasksByAssignee.run({ table, log: quiet })).toEqual({ changed: 0 });
  });
});
