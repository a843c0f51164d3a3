import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient } from '../../adapters/dynamodb/document-client';
import { ensureTable } from '../../local/create-table';
import { prepareTable } from '../../local/prepare-table';

export interface TestTable {
  tableName: string;
  endpoint: string;
  client: DynamoDBDocumentClient;
}

/**
 * A fresh CRM table in the run's DynamoDB Local, named uniquely so test files never
 * see each other's items, even when they run in parallel. Call it once per file. Data
 * migrations are applied, as on a deployed table; `migrated: false` leaves them pending.
 * `streams: true` gives it its stream, for a file that reads it (local/create-table.ts says
 * why the others go without).
 */
export async function createTestTable({ migrated = true, streams = false }: { migrated?: boolean; streams?: boolean } = {}): Promise<TestTable> {
  const endpoint = inject('dynamodbEndpoint');
  const tableName = `crm-test-${randomUUID()}`;
  const client = createDocumentClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: endpoint });
  if (migrated) await prepareTable({ tableName, endpoint, streams });
  else await ensureTable(client, tableName, { streams });
  const table = { tableName, endpoint, client };
  created.push(table);
  return table;
}

const created: TestTable[] = [];

/**
 * Deletes the tables this file created (test/support/delete-tables.ts runs it after the
 * file's own hooks). The run's one DynamoDB Local keeps every table in memory until it is
 * deleted, and with all of them kept the last files of a full run ran many times slower.
 */
export async function deleteTestTables(): Promise<void> {
  for (const { client, tableName } of created.splice(0)) await client.send(new DeleteTableCommand({ TableName: tableName }));
}
