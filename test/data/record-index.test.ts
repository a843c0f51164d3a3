import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import { companyModel } from '../../domain/records/company';
import { contactModel } from '../../domain/records/contact';
import { createRecord } from '../../domain/records/create-record';
import { recordChangeBetween } from '../../domain/records/record-change';
import { indexRecordChanges } from '../../domain/records/record-index';
import { searchRecords } from '../../domain/search/search-records';
import type { Actor } from '../../domain/shared/actor';
import { listEntryPrefix, recordQueries, searchTermPrefix } from '../../domain/shared/keys';
import { listRecords } from '../../domain/records/list-records';
import { updateRecord } from '../../domain/records/update-record';
import { createPropertyDefinition } from '../../domain/properties/property-use-cases';
import { indexListEntries } from '../../migrations/0009-index-list-entries';
import { indexSearchTerms } from '../../migrations/0007-index-search-terms';
import { createTestTable } from '../support/local-dynamodb';

/**
 * The items the record indexer derives from records, on DynamoDB Local, written by its use
 * case directly (the API tests drive it through the stream): search terms and list entries,
 * redelivered batches, and migrations 0007 and 0009 for records written before them.
 */

const admin: Actor = { type: 'user', id: 'search-admin', role: 'admin' };
let runtime: CrmRuntime;
beforeAll(async () => {
  const table = await createTestTable({ migrated: false });
  runtime = createRuntime(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' }));
});

const termItemsOf = async (type: 'contact' | 'company', id: string) =>
  (await runtime.table.query(recordQueries.recordPartition(type, id), { limit: 100 })).items.filter((item) => item.sk.startsWith(searchTermPrefix)).map((item) => item.sk).sort();
const found = async (q: string) => (await searchRecords(runtime, { q, types: ['contact', 'company', 'deal'], limit: 25 }, admin)).items.map((hit) => hit.id);

describe('the search index on the table', () => {
  it('a redelivered batch, or one delivered twice over, leaves the same items', async () => {
    const company = await createRecord(runtime, companyModel, { name: 'Redelivery Partners', domain: 'redelivery.example' }, admin);
    const renamed = { ...company, name: 'Twice Partners', version: 2 };
    const batch = [recordChangeBetween('company', undefined, company), recordChangeBetween('company', company, renamed)];
    await indexRecordChanges(runtime, batch);
    const once = await termItemsOf('company', company.id);
    await indexRecordChanges(runtime, batch);
    await indexRecordChanges(runtime, batch.slice(1));
    expect(await termItemsOf('company', company.id)).toEqual(once);
    expect(once).toEqual(['SEARCH#WHOLE#redelivery.example', 'SEARCH#WHOLE#twice.partners', 'SEARCH#WORD#partners']);
  });

  it('migration 0007 indexes records written before search, and writes the same items when run again', async () => {
    const contact = await createRecord(runtime, contactModel, { firstName: 'Before', lastName: 'Search', email: 'before.search@legacy.example', phone: '+1 415 555 0199' }, admin);
    // No indexer ran: the record is there, its terms are not.
    expect(await termItemsOf('contact', contact.id)).toEqual([]);
    expect(await found('before search')).toEqual([]);

    await indexSearchTerms.run({ table: runtime.table, scan: undefined as never, log: () => undefined });
    const terms = await termItemsOf('contact', contact.id);
    expect(terms).toEqual(['SEARCH#PHONE#99105555141', 'SEARCH#WHOLE#before.search', 'SEARCH#WHOLE#before.search.legacy.example', 'SEARCH#WHOLE#search.before', 'SEARCH#WORD#legacy.example']);
    expect(await found('before search')).toEqual([contact.id]);
    expect(await found('0199')).toEqual([contact.id]);

    await indexSearchTerms.run({ table: runtime.table, scan: undefined as never, log: () => undefined });
    expect(await termItemsOf('contact', contact.id)).toEqual(terms);
  });
});

const entriesOf = async (type: 'contact' | 'company', id: string) =>
  (await runtime.table.query(recordQueries.recordPartition(type, id), { limit: 100 })).items.filter((item) => item.sk.startsWith(listEntryPrefix)).map((item) => [item.sk, item.gsi1pk, item.gsi1sk]).sort();
const listed = async (filters: Record<string, unknown>) => (await listRecords(runtime, contactModel, { limit: 25, ...filters }, admin)).items.map((record) => record.id);

describe('list entries on the table', () => {
  it('a redelivered batch, or one delivered twice over, leaves the entries of the last version only', async () => {
    const contact = await createRecord(runtime, contactModel, { lastName: 'Entries', tags: ['First'], lifecycleStage: 'lead' }, admin);
    const retagged = await updateRecord(runtime, contactModel, contact.id, { tags: ['Second'], lifecycleStage: 'customer' }, { actor: admin });
    const batch = [recordChangeBetween('contact', undefined, contact), recordChangeBetween('contact', contact, retagged)];
    await indexRecordChanges(runtime, batch);
    const once = await entriesOf('contact', contact.id);
    await indexRecordChanges(runtime, batch);
    await indexRecordChanges(runtime, batch.slice(1));
    expect(await entriesOf('contact', contact.id)).toEqual(once);
    expect(once.map(([sk]) => sk)).toEqual(expect.arrayContaining(['LIST#tag#name#second', 'LIST#all#createdAt']));
    expect(once.some(([sk]) => String(sk).includes('first'))).toBe(false);
    expect(await listed({ tag: 'first', sort: 'name' })).toEqual([]);
    expect(await listed({ tag: 'SECOND', sort: 'name' })).toEqual([contact.id]);
  });

  it('migration 0009 lists records written before, filterable properties included, and writes the same items when run again', async () => {
    await createPropertyDefinition(runtime, 'contacts', { name: 'score', label: 'Score', type: 'number', filterable: true }, admin);
    const contact = await createRecord(runtime, contactModel, { lastName: 'Before Lists', lifecycleStage: 'sql', properties: { score: 42 } }, admin);
    // No indexer ran: the record is in the lists its own item's index keys give, not in sorted ones.
    expect(await listed({ lifecycleStage: 'sql' })).toEqual([contact.id]);
    expect(await listed({ lifecycleStage: 'sql', sort: 'name' })).toEqual([]);

    await indexListEntries.run({ table: runtime.table, scan: undefined as never, log: () => undefined });
    const entries = await entriesOf('contact', contact.id);
    expect(await listed({ lifecycleStage: 'sql', sort: 'name' })).toEqual([contact.id]);
    expect(await listed({ 'properties.score.gte': '40', 'properties.score.lte': '42' })).toEqual([contact.id]);
    expect(await listed({ 'properties.score': '41' })).toEqual([]);

    await indexListEntries.run({ table: runtime.table, scan: undefined as never, log: () => undefined });
    expect(await entriesOf('contact', contact.id)).toEqual(entries);
  });
});
