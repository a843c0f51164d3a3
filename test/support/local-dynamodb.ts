import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/document-client';
import { ensureTable } from '../../local/create-table';
import { prepareTable } from '../../local/prepare-table';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';

export interface TestTable {
  tableName: string;
  endpoint: string;
  client: DynamoDBDocumentClient;
}

/**
 * A fresh CRM table in the run's DynamoDB Local, named uniquely so test files never
 * see each other's items, even when they run in parallel. Call it once per file. Data
 * migrations are applied, as on a deployed table; `migrated: false` leaves them pending.
 *
 * `streams: true` gives it its stream, for a file that reads it, in a DynamoDB Local of the
 * file's own: DynamoDB Local keeps the stream records of every table it ever had and reads
 * through them on every write and every stream read (a thread dump shows its time in
 * getStreamDescription), so with one for the whole run the last files crawled (the seed
 * test: 21 s alone, over ten minutes at the end of a run). Java starts in a few seconds.
 */
export async function createTestTable({ migrated = true, streams = false }: { migrated?: boolean; streams?: boolean } = {}): Promise<TestTable> {
  const own = streams ? await startDynamoDbLocal() : undefined;
  if (own) ownDatabases.push(own);
  const endpoint = own?.endpoint ?? inject('dynamodbEndpoint');
  const tableName = `crm-test-${randomUUID()}`;
  const client = createDocumentClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: endpoint });
  if (migrated) await prepareTable({ tableName, endpoint, streams });
  else await ensureTable(client, tableName, { streams });
  const table = { tableName, endpoint, client };
  created.push(table);
  return table;
}

const created: TestTable[] = [];
const ownDatabases: DynamoDbLocal[] = [];

/**
 * Deletes the tables this file created (test/support/delete-tables.ts runs it after the
 * file's own hooks). The run's one DynamoDB Local keeps every table in memory until it is
 * deleted, and with all of them kept the last files of a full run ran many times slower.
 */
export async function deleteTestTables(): Promise<void> {
  for (const { client, tableName } of created.splice(0)) await client.send(new DeleteTableCommand({ TableName: tableName }));
  for (const database of ownDatabases.splice(0)) await database.stop();
}
