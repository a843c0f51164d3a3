import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { crmTable } from '../adapters/dynamodb/table-definition';

const ACTIVE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;

/**
 * Creates the CRM table from `crmTable` unless it exists, and returns once it and
 * its indexes are ACTIVE. Safe to call on every start: an existing table is kept.
 * Takes the app's document client, which sends control-plane commands unchanged.
 */
export async function ensureTable(client: DynamoDBDocumentClient, tableName: string, { streams = true }: TableOptions = {}): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName, streams)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(client, tableName);
  await addMissingIndexes(client, tableName);
  await enableTimeToLive(client, tableName);
}

/**
 * A table made by an older version lacks indexes added since (as CloudFormation would
 * add them on deploy). DynamoDB takes one index creation per UpdateTable call.
 */
async function addMissingIndexes(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const existing = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of crmTable.globalIndexes.filter((candidate) => !existing.has(candidate.indexName))) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: stringAttributes([index.partitionKey, index.sortKey]),
        GlobalSecondaryIndexUpdates: [{ Create: globalIndexInput(index) }],
      }),
    );
    await waitUntilActive(client, tableName);
  }
}

/** Every key of the single-table design is a string (entity prefixes plus ids or dates). */
const stringAttributes = (names: readonly string[]) => names.map((name) => ({ AttributeName: name, AttributeType: 'S' as const }));

const keySchema = (partitionKey: string, sortKey: string) => [
  { AttributeName: partitionKey, KeyType: 'HASH' as const },
  { AttributeName: sortKey, KeyType: 'RANGE' as const },
];

const globalIndexInput = (index: (typeof crmTable.globalIndexes)[number]) => ({
  IndexName: index.indexName,
  KeySchema: keySchema(index.partitionKey, index.sortKey),
  Projection: { ProjectionType: 'ALL' as const },
});

export interface TableOptions {
  /**
   * Whether the table has its stream, as deployed (the default). Tests that read no stream
   * leave it off: DynamoDB Local keeps the stream metadata of every table it ever made and
   * consults it on every write, so in a full run each stream made every later write slower.
   */
  readonly streams?: boolean;
}

function createTableInput(tableName: string, streams: boolean): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: stringAttributes([
      crmTable.partitionKey,
      crmTable.sortKey,
      ...crmTable.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
    ]),
    KeySchema: keySchema(crmTable.partitionKey, crmTable.sortKey),
    GlobalSecondaryIndexes: crmTable.globalIndexes.map(globalIndexInput),
    ...(streams ? { StreamSpecification: { StreamEnabled: true, StreamViewType: crmTable.streamView } } : {}),
  };
}

async function waitUntilActive(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() > deadline) throw new Error(`Table ${tableName} is still ${table?.TableStatus} after ${ACTIVE_TIMEOUT_MS / 1000} s`);
    await sleep(POLL_INTERVAL_MS);
  }
}

/**
 * DynamoDB Local records the TTL setting but never expires items; enabling it keeps
 * the table's description identical to the deployed one. Enabling it twice is an
 * error in DynamoDB, hence the check first.
 */
async function enableTimeToLive(client: DynamoDBDocumentClient, tableName: string): Promise<void> {
  const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  if (ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING') return;
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: crmTable.timeToLiveAttribute, Enabled: true },
    }),
  );
}
