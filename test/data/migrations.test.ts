import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { DynamoDbCrmTable } from '../../adapters/dynamodb/dynamodb-crm-table';
import { createRuntime } from '../../adapters/runtime';
import { activityModel } from '../../domain/records/activity';
import { contactModel } from '../../domain/records/contact';
import { dealModel } from '../../domain/records/deal';
import { createRecord } from '../../domain/records/create-record';
import { listRecords } from '../../domain/records/list-records';
import { recordToItem } from '../../domain/records/record-items';
import type { CrmRecord } from '../../domain/records/record-model';
import { updateRecord } from '../../domain/records/update-record';
import { readAuditLog } from '../../domain/audit/read-audit-log';
import type { Actor } from '../../domain/shared/actor';
import { ConflictError } from '../../domain/shared/errors';
import { partitionQueries } from '../../domain/shared/key-design';
import { enrollmentsByContact, migrationKeys, openDealsByUpdate, recordKeys, recordsByDate, recordsByOwner, tasksByAssignee } from '../../domain/shared/keys';
import type { Enrollment, Sequence } from '../../domain/sequences/sequence';
import { enrollmentToItem, itemToEnrollment, sequenceToItem } from '../../domain/sequences/sequence-items';
import type { Page } from '../../domain/shared/page';
import { indexTasksByAssignee } from '../../migrations/0001-index-tasks-by-assignee';
import { rankTaskStatus } from '../../migrations/0010-rank-task-status';
import { indexDuplicateCandidates } from '../../migrations/0011-index-duplicate-candidates';
import { listDuplicates } from '../../domain/duplicates/duplicates';
import { companyModel } from '../../domain/records/company';
import { shardLists } from '../../migrations/0002-shard-lists';
import { indexEnrollmentsByContact } from '../../migrations/0003-index-enrollments-by-contact';
import { indexOpenDeals } from '../../migrations/0004-index-open-deals';
import { indexRecordsByDate } from '../../migrations/0005-index-records-by-date';
import { indexEmailsByProviderId } from '../../migrations/0006-index-emails-by-provider-id';
import { emailMessageToItem, findEmailByProviderId } from '../../domain/email/email-message-items';
import type { EmailMessage } from '../../domain/email/email-message';
import { noteSignedInUser } from '../../domain/owners/owners';
import { inLegacyLayout } from '../../migrations/legacy-layout';
import type { Migration } from '../../migrations/migration';
import { migrations } from '../../migrations/migrations';
import { runMigrations } from '../../migrations/run-migrations';
import { scanningClient, tableScan, type TableScan } from '../../migrations/table-scan';
import { createTestTable, type TestTable } from '../support/local-dynamodb';

let test: TestTable;
let table: DynamoDbCrmTable;
let scan: TableScan;
const clock = { now: () => new Date(), sleep: async () => {} };
const quiet = () => undefined;

beforeAll(async () => {
  // Migrations pending, as on a table written by an older version.
  test = await createTestTable({ migrated: false });
  table = new DynamoDbCrmTable(test.client, test.tableName);
  scan = tableScan(scanningClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: test.endpoint }), test.tableName);
});

describe('data migrations on DynamoDB Local', () => {
  it('runs each migration once, in order, and skips it on the next run', async () => {
    const ran: string[] = [];
    const migration = (id: string): Migration => ({ id, description: id, run: async () => (ran.push(id), { changed: 0 }) });
    const list = [migration('t-0001'), migration('t-0002')];
    expect(await runMigrations({ table, clock, scan }, list, quiet)).toEqual({ applied: ['t-0001', 't-0002'], skipped: [] });
    expect(await runMigrations({ table, clock, scan }, list, quiet)).toEqual({ applied: [], skipped: ['t-0001', 't-0002'] });
    expect(ran).toEqual(['t-0001', 't-0002']);
  });

  it('records nothing for a migration that fails, so the next run retries it, and releases the lock', async () => {
    let attempts = 0;
    const flaky: Migration = { id: 't-flaky', description: 'fails once', run: async () => { attempts++; if (attempts === 1) throw new Error('boom'); return { changed: 1 }; } };
    await expect(runMigrations({ table, clock, scan }, [flaky], quiet)).rejects.toThrow('boom');
    expect(await runMigrations({ table, clock, scan }, [flaky], quiet)).toEqual({ applied: ['t-flaky'], skipped: [] });
  });

  it('starts no further migration, and leaves the lock alone, once another run has taken its lock over', async () => {
    const takenOver: Migration = {
      id: 't-taken-over',
      description: 'runs so long that another run takes the lock over',
      run: async ({ table: migrating }) => {
        await migrating.deleteItems([migrationKeys.lock()]);
        await migrating.transactWrite([{ op: 'put', item: { ...migrationKeys.lock(), entity: 'migrationLock', runId: 'other', takenAt: Date.now(), version: 1 } }]);
        return { changed: 0 };
      },
    };
    const next: Migration = { id: 't-after-takeover', description: 'must not start', run: async () => ({ changed: 1 }) };
    await expect(runMigrations({ table, clock, scan }, [takenOver, next], quiet)).rejects.toBeInstanceOf(ConflictError);
    expect(await table.getItem(migrationKeys.applied('t-after-takeover'))).toBeUndefined();
    expect((await table.getItem(migrationKeys.lock()))?.runId).toBe('other');
    await table.deleteItems([migrationKeys.lock()]);
  });

  it('refuses to run while another run holds a fresh lock', async () => {
    await table.transactWrite([{ op: 'put', item: { ...migrationKeys.lock(), runId: 'other', takenAt: Date.now(), version: 1 } }]);
    await expect(runMigrations({ table, clock, scan }, [], quiet)).rejects.toBeInstanceOf(ConflictError);
    await table.deleteItems([migrationKeys.lock()]);
  });

  it('0001 adds assignee keys to old tasks, and is a no-op the second time', async () => {
    const task = { id: 'OLDTASK', kind: 'task', assigneeId: 'bob', taskStatus: 'open', occurredAt: '2026-01-01T00:00:00.000Z', contactIds: [], companyIds: [], dealIds: [], createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', version: 1 };
    const { gsi4pk: _pk, gsi4sk: _sk, ...withoutIndex } = recordToItem(activityModel, task);
    await table.transactWrite([{ op: 'put', item: withoutIndex }]);
    const [bobsTasks] = partitionQueries(tasksByAssignee.query({ assigneeId: 'bob' }));
    expect((await table.query(bobsTasks!, { limit: 10 })).items).toEqual([]);

    expect(await indexTasksByAssignee.run({ table, scan, log: quiet })).toEqual({ changed: 1 });
    expect((await table.query(bobsTasks!, { limit: 10 })).items.map((item) => item.id)).toEqual(['OLDTASK']);
    expect(await indexTasksByAssignee.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});

describe('0011: contacts and companies join their duplicate match groups', () => {
  it('pairs old records that match, leaves the rest, and writes nothing the second time', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    const contact = (id: string, phone: string) => ({ id, firstName: id, phone, lifecycleStage: 'lead', companyIds: [], tags: [], properties: {}, createdAt: at, updatedAt: at, version: 1 });
    const company = (id: string, name: string, domain?: string) => ({ id, name, ...(domain ? { domain } : {}), tags: [], properties: {}, createdAt: at, updatedAt: at, version: 1 });
    await table.putItems([contact('DUP-A', '+1 415 555 0101'), contact('DUP-B', '1-415-555-0101'), contact('DUP-C', '+1 415 555 0199')].map((record) => recordToItem(contactModel, record)));
    await table.putItems([company('DUP-X', 'Umbrella Corp'), company('DUP-Y', 'UMBRELLA corp.', 'umbrella-dup.example')].map((record) => recordToItem(companyModel, record)));
    const admin: Actor = { type: 'user', id: 'migrator', role: 'admin' };
    const deps = createRuntime(loadConfig({ TABLE_NAME: test.tableName, DYNAMODB_ENDPOINT: test.endpoint, AWS_REGION: 'us-east-1' }));
    const pairs = async (model: typeof contactModel) => (await listDuplicates(deps, model, { limit: 50 }, admin)).items.map((candidate) => [candidate.recordIds.join(' '), candidate.reasons]);
    expect(await pairs(contactModel)).toEqual([]);

    expect(await indexDuplicateCandidates.run({ table, scan, log: quiet })).toEqual({ changed: 2 });
    expect(await pairs(contactModel)).toEqual([['DUP-A DUP-B', ['phone']]]);
    expect(await pairs(companyModel)).toEqual([['DUP-X DUP-Y', ['companyName']]]);
    expect(await indexDuplicateCandidates.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});

describe('0010: open tasks before done ones', () => {
  it('rewrites the assignee sort key of tasks written before, so an assignee list has open tasks first, and is a no-op the second time', async () => {
    const task = (id: string, taskStatus: string, dueAt: string) => ({ id, kind: 'task', assigneeId: 'ranked', taskStatus, dueAt, occurredAt: dueAt, contactIds: [], companyIds: [], dealIds: [], createdAt: dueAt, updatedAt: dueAt, version: 1 });
    const old = [task('RANK-DONE', 'done', '2026-01-01T00:00:00.000Z'), task('RANK-OPEN', 'open', '2026-02-01T00:00:00.000Z')];
    // As written before the rank: the status as it is.
    await table.putItems(old.map((record) => ({ ...recordToItem(activityModel, record), gsi4sk: `${record.taskStatus}#${record.dueAt}#${record.id}` })));
    const [rankedTasks] = partitionQueries(tasksByAssignee.query({ assigneeId: 'ranked' }));
    expect((await table.query(rankedTasks!, { limit: 10 })).items.map((item) => item.id)).toEqual(['RANK-DONE', 'RANK-OPEN']);

    expect(await rankTaskStatus.run({ table, scan, log: quiet })).toEqual({ changed: 2 });
    expect((await table.query(rankedTasks!, { limit: 10 })).items.map((item) => item.id)).toEqual(['RANK-OPEN', 'RANK-DONE']);
    expect(await rankTaskStatus.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});

describe('0002: lists move to sharded partition keys', () => {
  const importer: Actor = { type: 'client', id: 'old-importer', role: 'manager' };

  async function everyPage<T>(read: (cursor?: string) => Promise<Page<T>>): Promise<T[]> {
    const all: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await read(cursor);
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return all;
  }

  it('keeps every list complete before, during and after the move, and moves nothing twice', async () => {
    const runtime = createRuntime(loadConfig({ TABLE_NAME: test.tableName, DYNAMODB_ENDPOINT: test.endpoint, AWS_REGION: 'us-east-1' }));
    await noteSignedInUser(runtime, { id: 'old-owner' });
    const contactsOf = (cursor?: string) => listRecords(runtime, contactModel, { limit: 7, ownerId: 'old-owner', ...(cursor ? { cursor } : {}) }, importer);
    // Written by the version before sharding: every list entry under one partition key.
    const old: CrmRecord[] = await inLegacyLayout(async () => {
      const written: CrmRecord[] = [];
      for (let n = 0; n < 30; n++) written.push(await createRecord(runtime, contactModel, contactModel.createSchema.parse({ firstName: `Old${n}`, ownerId: 'old-owner' }), importer));
      return written;
    });
    const expected = [...old].reverse().map((contact) => contact.id);
    // Today's code, migration pending: the old partitions are read too.
    expect((await everyPage(contactsOf)).map((contact) => contact.id)).toEqual(expected);

    // One contact changes while the migration has not run: its writer puts it under the new keys.
    await updateRecord(runtime, contactModel, old[3]!.id, { title: 'Moved by its own update' }, { actor: importer });
    const run = await runMigrations({ table, clock, scan }, migrations, quiet);
    expect(run.applied).toContain('0002-shard-lists');

    // Migrated: lists read the shards alone, and see everything.
    const fresh = createRuntime(loadConfig({ TABLE_NAME: test.tableName, DYNAMODB_ENDPOINT: test.endpoint, AWS_REGION: 'us-east-1' }));
    expect(await fresh.layout.readsLegacyPartitions()).toBe(false);
    const after = await everyPage((cursor) => listRecords(fresh, contactModel, { limit: 7, ownerId: 'old-owner', ...(cursor ? { cursor } : {}) }, importer));
    expect(new Set(after.map((contact) => contact.id))).toEqual(new Set(expected));
    expect(after[0]!.id).toBe(old[3]!.id);
    const audit = await everyPage((cursor) => readAuditLog(fresh, { actorId: importer.id }, { limit: 10, ...(cursor ? { cursor } : {}) }, { type: 'user', id: 'admin', role: 'admin' }));
    expect(audit).toHaveLength(31);

    // A moved record keeps what only storage knows: who wrote its version.
    expect((await table.getItem(recordKeys.record('contact', old[5]!.id)))?.changedBy).toEqual({ type: importer.type, id: importer.id });

    // Nothing is left under the old keys, and a second run moves nothing.
    const oldPartition = recordsByOwner.query({ type: 'contact', ownerId: 'old-owner' }).legacyPartitionKey!;
    expect((await table.query({ pattern: 'legacy', index: 'gsi2', partitionKey: oldPartition }, { limit: 10 })).items).toEqual([]);
    expect(await shardLists.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});

describe('0003: enrollments get their contact index keys', () => {
  it('makes old enrollments findable from their contact, leaves the rest, and is a no-op the second time', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    const sequence: Sequence = { id: 'OLDSEQ', name: 'Old', steps: [{ delayMinutes: 0, subject: 'Hi', text: 'Hello' }], status: 'active', createdBy: 'u1', createdAt: at, updatedAt: at, version: 1 };
    const enrollment = (contactId: string): Enrollment => ({ sequenceId: 'OLDSEQ', contactId, runId: `R-${contactId}`, status: 'active', nextStep: 1, starting: false, enrolledBy: 'u1', enrolledAt: at, updatedAt: at, version: 2 });
    const { gsi2pk: _pk, gsi2sk: _sk, ...unindexed } = enrollmentToItem(enrollment('OLDC1'));
    await table.transactWrite([{ op: 'put', item: sequenceToItem(sequence) }, { op: 'put', item: unindexed }, { op: 'put', item: enrollmentToItem(enrollment('NEWC2')) }]);
    const [ofOldContact] = partitionQueries(enrollmentsByContact.query({ contactId: 'OLDC1' }));
    expect((await table.query(ofOldContact!, { limit: 10 })).items).toEqual([]);

    expect(await indexEnrollmentsByContact.run({ table, scan, log: quiet })).toEqual({ changed: 1 });
    expect((await table.query(ofOldContact!, { limit: 10 })).items.map(itemToEnrollment)).toEqual([enrollment('OLDC1')]);
    expect(await indexEnrollmentsByContact.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});

describe('0004: open deals get their stale-deal index keys', () => {
  it('indexes old open deals, leaves closed ones out, and is a no-op the second time', async () => {
    const runtime = createRuntime(loadConfig({ TABLE_NAME: test.tableName, DYNAMODB_ENDPOINT: test.endpoint, AWS_REGION: 'us-east-1' }));
    const manager: Actor = { type: 'user', id: 'deal-owner', role: 'manager' };
    const open = await createRecord(runtime, dealModel, { name: 'Old open' }, manager);
    const won = await createRecord(runtime, dealModel, { name: 'Old won', stageId: 'closed_won' }, manager);
    // As written before the index existed: no gsi4 keys.
    for (const deal of [open, won]) {
      const { gsi4pk: _pk, gsi4sk: _sk, ...unindexed } = recordToItem(dealModel, deal);
      await table.putItems([unindexed]);
    }
    const openDeals = async () => {
      const ids: string[] = [];
      for (const query of partitionQueries(openDealsByUpdate.query({}, { updatedBefore: '9999' }))) ids.push(...(await table.query(query, { limit: 100 })).items.map((item) => String(item.id)));
      return ids;
    };
    expect(await openDeals()).not.toContain(open.id);

    expect(await indexOpenDeals.run({ table, scan, log: quiet })).toEqual({ changed: 1 });
    expect(await openDeals()).toContain(open.id);
    expect(await openDeals()).not.toContain(won.id);
    expect(await indexOpenDeals.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});

describe('0005: open deals and tasks get their date index keys', () => {
  it('indexes an old open deal with a close date, not a won one, and is a no-op the second time', async () => {
    const runtime = createRuntime(loadConfig({ TABLE_NAME: test.tableName, DYNAMODB_ENDPOINT: test.endpoint, AWS_REGION: 'us-east-1' }));
    const manager: Actor = { type: 'user', id: 'dated-owner', role: 'manager' };
    const open = await createRecord(runtime, dealModel, { name: 'Dated open', expectedCloseDate: '2031-05-05' }, manager);
    const won = await createRecord(runtime, dealModel, { name: 'Dated won', expectedCloseDate: '2031-05-05', stageId: 'closed_won' }, manager);
    for (const deal of [open, won]) {
      const { gsi5pk: _pk, gsi5sk: _sk, ...unindexed } = recordToItem(dealModel, deal);
      await table.putItems([unindexed]);
    }
    const onThatDay = async () => {
      const ids: string[] = [];
      for (const query of partitionQueries(recordsByDate.query({ type: 'deal', field: 'expectedCloseDate' }, { from: '2031-05-05', to: '2031-05-05' }))) {
        ids.push(...(await table.query(query, { limit: 100 })).items.map((item) => String(item.id)));
      }
      return ids;
    };
    expect(await onThatDay()).toEqual([]);
    expect(await indexRecordsByDate.run({ table, scan, log: quiet })).toEqual({ changed: 1 });
    expect(await onThatDay()).toEqual([open.id]);
    expect(await indexRecordsByDate.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});

describe('0006: sent emails get their SES id index keys', () => {
  it('makes an old sent email findable from a reply, leaves unsent ones, and is a no-op the second time', async () => {
    const at = '2026-01-01T00:00:00.000Z';
    const email = (id: string, providerMessageId?: string): EmailMessage => ({
      id,
      contactId: 'C-OLD',
      to: 'old@example.com',
      subject: 'Hi',
      text: 'Hello',
      status: providerMessageId ? 'delivered' : 'sending',
      source: { kind: 'api' },
      sentBy: { type: 'user', id: 'u1' },
      ...(providerMessageId ? { providerMessageId } : {}),
      createdAt: at,
      updatedAt: at,
      version: 3,
    });
    const { gsi3pk: _pk, gsi3sk: _sk, ...unindexed } = emailMessageToItem(email('OLD-SENT', '0100-old-ses-id'));
    await table.putItems([unindexed, emailMessageToItem(email('OLD-SENDING'))]);
    expect(await findEmailByProviderId(table, '0100-old-ses-id')).toBeUndefined();

    expect(await indexEmailsByProviderId.run({ table, scan, log: quiet })).toEqual({ changed: 1 });
    expect(await findEmailByProviderId(table, '0100-old-ses-id')).toEqual(email('OLD-SENT', '0100-old-ses-id'));
    expect(await indexEmailsByProviderId.run({ table, scan, log: quiet })).toEqual({ changed: 0 });
  });
});
