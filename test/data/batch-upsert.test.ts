import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import { batchWriteRecords } from '../../domain/records/batch-write-records';
import { contactModel } from '../../domain/records/contact';
import { createRecord } from '../../domain/records/create-record';
import { findByUniqueValue, findRecord } from '../../domain/records/get-record';
import { updateRecord } from '../../domain/records/update-record';
import { noteSignedInUser } from '../../domain/owners/owners';
import type { Actor } from '../../domain/shared/actor';
import type { CrmTablePort, ItemKey } from '../../domain/shared/table-port';
import { createTestTable } from '../support/local-dynamodb';

/**
 * A batch upsert reads its inputs' guards first and updates the records holding their keys.
 * What it read may change before it writes: the record it would update must still hold the
 * input's value, or the input is written as the upsert always wrote it (create first).
 */

const manager: Actor = { type: 'user', id: 'batch-manager', role: 'manager' };
let runtime: CrmRuntime;
/** Runs once, right after the batch's guards are read. */
let afterGuardRead: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const table = await createTestTable();
  runtime = createRuntime(loadConfig({ ...process.env, TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint }));
  await noteSignedInUser(runtime, { id: manager.id });
});

const depsWithHook = () => {
  const table: CrmTablePort = Object.create(runtime.table, {
    getItems: {
      value: async (keys: readonly ItemKey[]) => {
        const items = await runtime.table.getItems(keys);
        const hook = afterGuardRead;
        afterGuardRead = undefined;
        await hook?.();
        return items;
      },
    },
  });
  return { ...runtime, table };
};

describe('batch upsert', () => {
  it('updates the record found by its key, and leaves a row that changes nothing unchanged', async () => {
    const held = await createRecord(runtime, contactModel, { email: 'held@batch.example', firstName: 'Held' }, manager);
    const results = await batchWriteRecords(depsWithHook(), contactModel, [{ email: 'HELD@batch.example', firstName: 'Renamed' }, { email: 'new@batch.example', firstName: 'New' }], manager);
    expect(results.map((result) => result.outcome)).toEqual(['updated', 'created']);
    expect((await findRecord(runtime, contactModel, held.id))!.firstName).toBe('Renamed');
    const again = await batchWriteRecords(depsWithHook(), contactModel, [{ email: 'HELD@batch.example', firstName: 'Renamed' }], manager);
    expect(again[0]).toMatchObject({ outcome: 'unchanged', record: { id: held.id } });
  });

  it('does not overwrite a record whose email changed after the batch read its guard: the row creates its own', async () => {
    const moved = await createRecord(runtime, contactModel, { email: 'moving@batch.example', firstName: 'Mover' }, manager);
    afterGuardRead = async () => void (await updateRecord(runtime, contactModel, moved.id, { email: 'moved@batch.example' }, { actor: manager }));
    const [result] = await batchWriteRecords(depsWithHook(), contactModel, [{ email: 'moving@batch.example', firstName: 'Row' }], manager);
    expect(afterGuardRead, 'the change ran between the read and the write').toBeUndefined();
    expect(result).toMatchObject({ outcome: 'created' });
    expect(await findRecord(runtime, contactModel, moved.id)).toMatchObject({ email: 'moved@batch.example', firstName: 'Mover' });
    expect(await findByUniqueValue(runtime, contactModel, 'moving@batch.example')).toMatchObject({ firstName: 'Row' });
  });
});
