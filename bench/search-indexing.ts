import { DynamoDbCrmTable } from '../adapters/dynamodb/dynamodb-crm-table';
import { systemClock } from '../adapters/system-clock';
import type { RecordChange } from '../domain/records/record-change';
import { indexRecordChanges } from '../domain/records/record-index';
import { searchTermsOf } from '../domain/search/search-terms';
import { contactModel } from '../domain/records/contact';
import { listEntriesOf } from '../domain/records/list-views';
import type { BenchEnvironment } from './bench-environment';
import { contactInput } from './contact-items';
import { fixed, table } from './report';
import { mean, type Summary } from './stats';
import { consumerWriteUnitsOf, measureStreamLag, writeUnitsOf } from './stream-lag';

/**
 * What search and sorted, combined lists cost on the write side: the write units the record
 * indexer's search terms and list entries add to a contact and a deal (measured on the calls
 * the real indexer sends, priced by DynamoDB's documented rules, next to the request's own
 * transaction), and the lag from a write to its first search hit, through the real stream
 * consumer on DynamoDB Local's stream.
 */

export interface SearchIndexing {
  readonly termsPerContact: number;
  /** Write units of the POST that creates the contact (record, guard, timeline entry, their index entries). */
  readonly createWriteUnits: number;
  readonly indexWriteUnitsOnCreate: number;
  readonly indexWriteUnitsOnRename: number;
  readonly indexWriteUnitsOnOtherUpdate: number;
  /** List entries of a bench contact (list-views.ts). */
  readonly listEntriesPerContact?: number;
  /** A title change: no name, no filtered field, only the update time moves. */
  readonly indexWriteUnitsOnPlainUpdate?: number;
  readonly dealCreateWriteUnits?: number;
  readonly dealIndexWriteUnitsOnCreate?: number;
  readonly dealIndexWriteUnitsOnStageMove?: number;
  readonly dealIndexWriteUnitsOnPlainUpdate?: number;
  /** Milliseconds from the 201 to the first search that finds the new contact. */
  readonly lag: Summary;
}

export async function measureSearchIndexing(env: BenchEnvironment, { lagSamples }: { readonly lagSamples: number }): Promise<SearchIndexing> {
  const table = new DynamoDbCrmTable(env.documentClient, env.tableName);
  const index = (change: RecordChange) => indexRecordChanges({ table, clock: systemClock }, [change]);
  const input = contactInput(7, 'search');
  let createdId = '';
  const createWriteUnits = await writeUnitsOf(async () => (createdId = (await env.api.call('POST', '/v1/contacts', input, 201)).body.id));
  const { after: created, units: indexWriteUnitsOnCreate } = await consumerWriteUnitsOf(table, 'contact', createdId, undefined, index);
  await env.api.call('PATCH', `/v1/contacts/${createdId}`, { lastName: 'Renamed' }, 200);
  const { after: renamed, units: indexWriteUnitsOnRename } = await consumerWriteUnitsOf(table, 'contact', createdId, created, index);
  await env.api.call('PATCH', `/v1/contacts/${createdId}`, { lifecycleStage: 'customer' }, 200);
  const { after: staged, units: indexWriteUnitsOnOtherUpdate } = await consumerWriteUnitsOf(table, 'contact', createdId, renamed, index);
  await env.api.call('PATCH', `/v1/contacts/${createdId}`, { title: 'Head of Bench' }, 200);
  const { units: indexWriteUnitsOnPlainUpdate } = await consumerWriteUnitsOf(table, 'contact', createdId, staged, index);

  // A deal as the docs' cost table has it: owner, a tag, an amount, a close date, a company and two contacts.
  const company = (await env.api.call('POST', '/v1/companies', { name: 'Indexing Bench', domain: 'indexing-bench.example' }, 201)).body.id;
  const contacts = [createdId, (await env.api.call('POST', '/v1/contacts', contactInput(8, 'search'), 201)).body.id];
  const dealInput = { name: 'Bench deal', ownerId: input.ownerId, tags: ['bench'], amount: 12_500, expectedCloseDate: '2026-12-15', companyId: company, contactIds: contacts };
  let dealId = '';
  const dealCreateWriteUnits = await writeUnitsOf(async () => (dealId = (await env.api.call('POST', '/v1/deals', dealInput, 201)).body.id));
  const { after: deal, units: dealIndexWriteUnitsOnCreate } = await consumerWriteUnitsOf(table, 'deal', dealId, undefined, index);
  await env.api.call('PATCH', `/v1/deals/${dealId}`, { stageId: 'qualified_to_buy' }, 200);
  const { after: moved, units: dealIndexWriteUnitsOnStageMove } = await consumerWriteUnitsOf(table, 'deal', dealId, deal, index);
  await env.api.call('PATCH', `/v1/deals/${dealId}`, { name: 'Bench deal, renamed' }, 200);
  const { units: dealIndexWriteUnitsOnPlainUpdate } = await consumerWriteUnitsOf(table, 'deal', dealId, moved, index);

  // The stream from its start holds only this section's writes (and the timeline fixture): the growth section loads later.
  const emailOf = (sample: number) => `lag.${sample}@search-lag.example`;
  const lag = await measureStreamLag(
    env,
    'recordIndexer',
    lagSamples,
    async (sample) => void (await env.api.call('POST', '/v1/contacts', { firstName: 'Lag', email: emailOf(sample) }, 201)),
    async (sample) => (await env.api.call('GET', `/v1/search?q=${encodeURIComponent(emailOf(sample))}&types=contacts`, undefined, 200)).body.items.length > 0,
  );
  return {
    termsPerContact: mean(Array.from({ length: 100 }, (_, n) => searchTermsOf('contact', { id: `c${n}`, createdAt: '', updatedAt: '', version: 1, ...contactInput(n) }).length)),
    createWriteUnits,
    indexWriteUnitsOnCreate,
    indexWriteUnitsOnRename,
    indexWriteUnitsOnOtherUpdate,
    listEntriesPerContact: listEntriesOf('contact', contactModel.lists, created).length,
    indexWriteUnitsOnPlainUpdate,
    dealCreateWriteUnits,
    dealIndexWriteUnitsOnCreate,
    dealIndexWriteUnitsOnStageMove,
    dealIndexWriteUnitsOnPlainUpdate,
    lag,
  };
}

export function searchIndexingTable(result: SearchIndexing): string {
  return table(
    'Record indexing: write units search terms, list entries and duplicate match keys add (documented rules), and the lag to a first hit',
    ['what', 'value'],
    [
      ['search terms per bench contact (name both ways, email, email domain, phone)', fixed(result.termsPerContact, 1)],
      ['list entries per bench contact (owner, stage; list-views.ts)', fixed(result.listEntriesPerContact ?? Number.NaN, 0)],
      ['WCU of POST /v1/contacts itself', fixed(result.createWriteUnits, 1)],
      ['WCU the indexer adds for the create', fixed(result.indexWriteUnitsOnCreate, 1)],
      ['  as a share of the create', `${fixed((100 * result.indexWriteUnitsOnCreate) / result.createWriteUnits, 0)} %`],
      ['WCU the indexer adds for a rename (last name)', fixed(result.indexWriteUnitsOnRename, 1)],
      ['WCU the indexer adds for a lifecycle stage change', fixed(result.indexWriteUnitsOnOtherUpdate, 1)],
      ['WCU the indexer adds for a title change (update time only)', fixed(result.indexWriteUnitsOnPlainUpdate ?? Number.NaN, 1)],
      ['WCU of POST /v1/deals itself (owner, tag, amount, date, company, 2 contacts)', fixed(result.dealCreateWriteUnits ?? Number.NaN, 1)],
      ['WCU the indexer adds for the deal create', fixed(result.dealIndexWriteUnitsOnCreate ?? Number.NaN, 1)],
      ['WCU the indexer adds for a stage move (open to open)', fixed(result.dealIndexWriteUnitsOnStageMove ?? Number.NaN, 1)],
      ['WCU the indexer adds for a deal rename (name and update time)', fixed(result.dealIndexWriteUnitsOnPlainUpdate ?? Number.NaN, 1)],
      ['lag from 201 to found, p50 (ms)', fixed(result.lag.p50, 0)],
      ['lag from 201 to found, p99 (ms)', fixed(result.lag.p99, 0)],
    ],
    [
      'Each term or list entry is one item under 1 KB written with BatchWriteItem (1 WCU) and its gsi1 entry (1 WCU; 2 when its sort value moves); a rename deletes the old terms and puts the new ones. The request path writes none of it.',
      'Lag here is the local stream poller (it polls every 200 ms) and one indexer batch; deployed, Lambda polls a stream shard about four times a second.',
    ],
  );
}
