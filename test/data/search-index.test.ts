import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import { companyModel } from '../../domain/records/company';
import { contactModel } from '../../domain/records/contact';
import { createRecord } from '../../domain/records/create-record';
import { recordChangeBetween } from '../../domain/records/record-change';
import { indexRecordChanges } from '../../domain/search/search-index';
import { searchRecords } from '../../domain/search/search-records';
import type { Actor } from '../../domain/shared/actor';
import { recordQueries, searchTermPrefix } from '../../domain/shared/keys';
import { indexSearchTerms } from '../../migrations/0007-index-search-terms';
import { createTestTable } from '../support/local-dynamodb';

/**
 * The search index on DynamoDB Local, written by the indexer's use case directly (the API
 * test drives it through the stream): redelivered batches, and migration 0007 for records
 * written before search existed.
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
    await indexRecordChanges(runtime.table, batch);
    const once = await termItemsOf('company', company.id);
    await indexRecordChanges(runtime.table, batch);
    await indexRecordChanges(runtime.table, batch.slice(1));
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
