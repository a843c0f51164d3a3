import { takeMeteredCalls, type MeteredCall } from '../adapters/dynamodb/capacity-meter';
import type { BenchEnvironment } from './bench-environment';
import { documentedCapacity, reportedCapacity } from './capacity-rules';
import { DynamoDbCrmTable } from '../adapters/dynamodb/dynamodb-crm-table';
import { packTransactions } from '../domain/shared/transactions';
import { batchWriteItems, contactInput, contactWriteItems, contactWriteOps } from './contact-items';
import { fixed, table, thousands, times } from './report';
import { ratio } from './stats';

/**
 * An import: contacts per second through POST /v1/contacts/batch (100 per call, a
 * few clients at once), next to BatchWriteItem of the very items the API writes per
 * contact (record, email guard, timeline entry) with as many writers, and next to
 * TransactWriteItems of the same operations packed as the API packs them. The API pays
 * for what an import must keep: each contact's items land together under their
 * conditions (uniqueness, history), and one bad input never blocks the rest.
 *
 * DynamoDB Local runs transactions one at a time (about 1,000 items/s on this machine
 * whatever their size or number in flight) while it runs BatchWriteItem calls side by
 * side: the raw-transaction row is the ceiling of any path that keeps those guarantees
 * here. DynamoDB itself runs both in parallel, and bills a transaction's item twice.
 */

export interface BulkSide {
  readonly seconds: number;
  readonly contactsPerSecond: number;
  /** DynamoDB calls per contact imported. */
  readonly callsPerContact: number;
  readonly wcuLocalPerContact: number;
  readonly wcuDocumentedPerContact: number;
}

export interface BulkResult {
  readonly contacts: number;
  readonly clients: number;
  readonly batchSize: number;
  readonly api: BulkSide;
  readonly raw: BulkSide;
  readonly rawTransactions: BulkSide;
  readonly apiVsRaw: number;
  readonly apiVsRawTransactions: number;
}

const BATCH_SIZE = 100;

function side(contacts: number, seconds: number, calls: readonly MeteredCall[]): BulkSide {
  return {
    seconds,
    contactsPerSecond: contacts / seconds,
    callsPerContact: calls.length / contacts,
    wcuLocalPerContact: reportedCapacity(calls).write / contacts,
    wcuDocumentedPerContact: documentedCapacity(calls).write / contacts,
  };
}

async function importThroughApi(env: BenchEnvironment, contacts: number, clients: number): Promise<BulkSide> {
  // Numbered apart from every other contact of the run, so every input is a create.
  const batches = Array.from({ length: Math.ceil(contacts / BATCH_SIZE) }, (_, batch) =>
    Array.from({ length: Math.min(BATCH_SIZE, contacts - batch * BATCH_SIZE) }, (_, offset) => contactInput(5_000_000 + batch * BATCH_SIZE + offset, 'bulk')),
  );
  const calls: MeteredCall[] = [];
  takeMeteredCalls();
  const start = performance.now();
  const client = async () => {
    for (let inputs = batches.shift(); inputs; inputs = batches.shift()) {
      await env.api.call('POST', '/v1/contacts/batch', { inputs }, 200);
      calls.push(...takeMeteredCalls()); // often other clients' calls too: only the total matters
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - start) / 1000;
  calls.push(...takeMeteredCalls());
  return side(contacts, seconds, calls);
}

async function writeRaw(env: BenchEnvironment, contacts: number, clients: number): Promise<BulkSide> {
  const items = (await Promise.all(Array.from({ length: contacts }, (_, n) => contactWriteItems(6_000_000 + n, 'bulkr')))).flat();
  takeMeteredCalls();
  const start = performance.now();
  await batchWriteItems(env.documentClient, env.tableName, items, clients);
  const seconds = (performance.now() - start) / 1000;
  return side(contacts, seconds, takeMeteredCalls());
}

async function writeRawTransactions(env: BenchEnvironment, contacts: number, clients: number, firstContact = 7_000_000): Promise<BulkSide> {
  const writes = await Promise.all(Array.from({ length: contacts }, async (_, n) => ({ ops: await contactWriteOps(firstContact + n, `bulkt${firstContact}`) })));
  const table = new DynamoDbCrmTable(env.documentClient, env.tableName);
  const transactions = packTransactions(writes);
  takeMeteredCalls();
  const start = performance.now();
  const writer = async () => {
    for (let transaction = transactions.shift(); transaction; transaction = transactions.shift()) {
      if ((await table.tryTransactWrite(transaction.ops)).length > 0) throw new Error('a fresh contact failed its conditions');
    }
  };
  await Promise.all(Array.from({ length: clients }, writer));
  const seconds = (performance.now() - start) / 1000;
  return side(contacts, seconds, takeMeteredCalls());
}

export async function measureBulk(env: BenchEnvironment, { contacts, clients }: { contacts: number; clients: number }): Promise<BulkResult> {
  // DynamoDB Local's Java compiles its transaction path on first use: warm it, and the API's batch route, before timing either.
  await writeRawTransactions(env, 1_000, clients, 8_000_000);
  await env.api.call('POST', '/v1/contacts/batch', { inputs: Array.from({ length: BATCH_SIZE }, (_, n) => contactInput(4_000_000 + n, 'bulkw')) }, 200);
  const api = await importThroughApi(env, contacts, clients);
  const raw = await writeRaw(env, contacts, clients);
  const rawTransactions = await writeRawTransactions(env, contacts, clients);
  return {
    contacts,
    clients,
    batchSize: BATCH_SIZE,
    api,
    raw,
    rawTransactions,
    apiVsRaw: ratio(api.contactsPerSecond, raw.contactsPerSecond),
    apiVsRawTransactions: ratio(api.contactsPerSecond, rawTransactions.contactsPerSecond),
  };
}

export function bulkTable(result: BulkResult): string {
  const row = (name: string, bulk: BulkSide) => [
    name,
    fixed(bulk.seconds, 2),
    thousands(bulk.contactsPerSecond),
    fixed(bulk.callsPerContact, 2),
    fixed(bulk.wcuLocalPerContact, 1),
    fixed(bulk.wcuDocumentedPerContact, 1),
  ];
  return table(
    `Bulk: ${thousands(result.contacts)} contacts, ${result.clients} concurrent clients`,
    ['path', 'seconds', 'contacts/s', 'calls/contact', 'WCU local/contact', 'WCU rules/contact'],
    [
      row(`POST /v1/contacts/batch (${result.batchSize}/call)`, result.api),
      row('raw TransactWriteItems (packed as the API packs)', result.rawTransactions),
      row('raw BatchWriteItem (25 items/call)', result.raw),
    ],
    [
      `API throughput is ${times(result.apiVsRaw)} of raw BatchWriteItem, ${times(result.apiVsRawTransactions)} of raw TransactWriteItems, in the same run.`,
      `DynamoDB Local's transactions do not speed up with more in flight (about 1,000 items/s on this machine), its BatchWriteItem calls do: raw TransactWriteItems reach ${times(ratio(result.rawTransactions.contactsPerSecond, result.raw.contactsPerSecond))} of BatchWriteItem here, the ceiling of any path that keeps each contact's items atomic.`,
      `On DynamoDB, where an import runs until the table's write capacity is the limit, contacts/s follow WCU per contact (rules column): the API imports ${times(ratio(result.raw.wcuDocumentedPerContact, result.api.wcuDocumentedPerContact))} of raw BatchWriteItem's contacts (a transaction bills its items' table writes twice).`,
      'Raw writes the same 3 items per contact without conditions or transaction: a ceiling, not an alternative (no uniqueness, no upsert).',
      ...(result.api.callsPerContact > 0.1
        ? [`ABOVE MINIMUM: ${fixed(result.api.callsPerContact, 2)} calls per new contact; a fresh import needs about one TransactWriteItems per 33 contacts (0.03).`]
        : []),
    ],
  );
}
