import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { contactModel, lifecycleStages } from '../domain/records/contact';
import type { RecordDependencies } from '../domain/records/record-dependencies';
import { prepareRecord } from '../domain/records/prepare-record';
import { recordToItem } from '../domain/records/record-items';
import { planRecordWrite } from '../domain/records/record-writes';
import type { Item, WriteOp } from '../domain/shared/table-port';

/**
 * Synthetic contacts, and the exact items the API stores for each: the domain's own
 * builders (prepareRecord, planRecordWrite → recordToItem) make them, so keys and
 * index keys are what POST /v1/contacts writes, without paying for the API to load
 * a hundred thousand of them.
 */

const firstNames = ['Ada', 'Alan', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances', 'Edsger', 'Radia', 'Tim'];
const lastNames = ['Lovelace', 'Turing', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen', 'Dijkstra', 'Perlman'];
const titles = ['CEO', 'CTO', 'VP Engineering', 'Head of Sales', 'Procurement Manager', 'Operations Lead'];
export const OWNERS = 20;

/** What a client would POST for contact number `n`: the same n always gives the same contact. */
export function contactInput(n: number, emailTag = 'load'): Record<string, unknown> {
  return {
    firstName: firstNames[n % firstNames.length],
    lastName: lastNames[(n * 7) % lastNames.length],
    email: `${emailTag}.${n}@bench.example`,
    phone: `+1 555 ${String(100 + (n % 900))} ${String(1000 + (n % 9000))}`,
    title: titles[n % titles.length],
    lifecycleStage: lifecycleStages[n % lifecycleStages.length],
    ownerId: `user-${n % OWNERS}`,
  };
}

// Contacts without custom properties never reach these; they exist to satisfy the type.
const offlineDependencies = {
  propertyDefinitions: async () => [],
  getPipeline: async () => undefined,
} as unknown as RecordDependencies;

/** Contact n was last updated n seconds before this, so lists see distinct, ordered update times. */
const BASE_TIME = Date.parse('2026-01-01T00:00:00.000Z');

/** Who the synthetic contacts were written by, on their first timeline (audit) entry. */
const loader = { type: 'system', id: 'bench-loader', role: 'admin' } as const;

/** Contact `n` as POST /v1/contacts would store it (the domain's own validation and derivation), updated at its own time. */
async function contactRecord(n: number, emailTag: string) {
  const now = new Date(BASE_TIME - n * 1_000).toISOString();
  const input = contactModel.createSchema.parse(contactInput(n, emailTag));
  return prepareRecord(offlineDependencies, contactModel, { id: ulid(), createdAt: now, version: 1 }, input, now);
}

/** The record item alone: all that the read routes (by id, by type, by facet) look at. */
export async function contactRecordItem(n: number, emailTag = 'load'): Promise<Item> {
  return recordToItem(contactModel, (await contactRecord(n, emailTag)).record);
}

/** Every operation a create of contact `n` writes, conditions included: record, email guard, first timeline (audit) entry. */
export async function contactWriteOps(n: number, emailTag = 'load'): Promise<WriteOp[]> {
  const { record, guards } = await contactRecord(n, emailTag);
  const { ops } = planRecordWrite({ model: contactModel, after: record, actor: loader, changeId: ulid() });
  return [...ops, ...guards];
}

/** Every item a create of contact `n` writes: record, email guard, first timeline (audit) entry. */
export async function contactWriteItems(n: number, emailTag = 'load'): Promise<Item[]> {
  return (await contactWriteOps(n, emailTag)).flatMap((op) => (op.op === 'put' ? [op.item] : []));
}

const BATCH_WRITE_LIMIT = 25;

/** Writes items with BatchWriteItem, `concurrency` requests in flight, retrying what DynamoDB leaves unprocessed. */
export async function batchWriteItems(client: DynamoDBDocumentClient, tableName: string, items: readonly Item[], concurrency: number): Promise<void> {
  let next = 0;
  const writer = async () => {
    while (next < items.length) {
      const chunk = items.slice(next, next + BATCH_WRITE_LIMIT);
      next += BATCH_WRITE_LIMIT;
      let pending: Record<string, unknown>[] | undefined = chunk.map((item) => ({ PutRequest: { Item: item } }));
      while (pending && pending.length > 0) {
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
        pending = result.UnprocessedItems?.[tableName] as Record<string, unknown>[] | undefined;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, writer));
}
