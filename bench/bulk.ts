import { takeMeteredCalls, type MeteredCall } from '../adapters/dynamodb/capacity-meter';
import type { BenchEnvironment } from './bench-environment';
import { documentedCapacity, reportedCapacity } from './capacity-rules';
import { batchWriteItems, contactInput, contactWriteItems } from './contact-items';
import { fixed, table, thousands, times } from './report';
import { ratio } from './stats';

/**
 * An import: contacts per second through POST /v1/contacts/batch (100 per call, a
 * few clients at once), next to BatchWriteItem of the very items the API writes per
 * contact (record, email guard, timeline entry) with as many writers. The API pays
 * for what an import must keep: one transaction per contact (uniqueness, history,
 * one bad input never blocks the rest), and its upsert-by-email lookup.
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
  readonly apiVsRaw: number;
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

export async function measureBulk(env: BenchEnvironment, { contacts, clients }: { contacts: number; clients: number }): Promise<BulkResult> {
  const api = await importThroughApi(env, contacts, clients);
  const raw = await writeRaw(env, contacts, clients);
  return { contacts, clients, batchSize: BATCH_SIZE, api, raw, apiVsRaw: ratio(api.contactsPerSecond, raw.contactsPerSecond) };
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
    [row(`POST /v1/contacts/batch (${result.batchSize}/call)`, result.api), row('raw BatchWriteItem (25 items/call)', result.raw)],
    [
      `API throughput is ${times(result.apiVsRaw)} of raw BatchWriteItem in the same run.`,
      'Raw writes the same 3 items per contact without conditions or transaction: a ceiling, not an alternative (no uniqueness, no upsert).',
      ...(result.api.callsPerContact > 1.05
        ? [
            `ABOVE MINIMUM: ${fixed(result.api.callsPerContact, 2)} calls per new contact, minimum 1 (its TransactWriteItems): the batch upsert reads the email guard first (GetItem), then writes; writing first and updating only on a taken email would halve the calls of a fresh import.`,
          ]
        : []),
    ],
  );
}
