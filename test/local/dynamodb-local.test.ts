import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { crmTable } from '../../adapters/dynamodb/table-definition';
import { createDocumentClient, ScanForbiddenError } from '../../adapters/dynamodb/document-client';
import { ensureTable } from '../../local/create-table';
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { createTestTable, type TestTable } from '../support/local-dynamodb';

describe('the table ensureTable creates from crmTable', () => {
  let table: TestTable;

  beforeAll(async () => {
    table = await createTestTable({ streams: true });
  });

  it('has the keys, every GSI projecting all attributes, the stream and TTL', async () => {
    const { Table: description } = await table.client.send(new DescribeTableCommand({ TableName: table.tableName }));
    const { TimeToLiveDescription: ttl } = await table.client.send(new DescribeTimeToLiveCommand({ TableName: table.tableName }));

    expect(description?.KeySchema).toEqual([
      { AttributeName: crmTable.partitionKey, KeyType: 'HASH' },
      { AttributeName: crmTable.sortKey, KeyType: 'RANGE' },
    ]);
    expect(description?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(
      description?.GlobalSecondaryIndexes?.map(({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection })),
    ).toEqual(
      crmTable.globalIndexes.map((index) => ({
        IndexName: index.indexName,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    );
    expect(description?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: crmTable.streamView });
    expect(ttl).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: crmTable.timeToLiveAttribute });
  });

  it('is left as it is when ensured again', async () => {
    await expect(ensureTable(table.client, table.tableName)).resolves.toBeUndefined();
  });

  it('is read by Query through the shared client, which refuses Scan', async () => {
    const item = { pk: 'local-test#1', sk: 'profile', name: 'Ada' };
    await table.client.send(new PutCommand({ TableName: table.tableName, Item: item }));

    const queried = await table.client.send(
      new QueryCommand({ TableName: table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': item.pk } }),
    );

    expect(queried.Items).toEqual([item]);
    await expect(table.client.send(new ScanCommand({ TableName: table.tableName }))).rejects.toBeInstanceOf(ScanForbiddenError);
  });
});

describe('startDynamoDbLocal', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('keeps tables in dbPath across a stop and a restart', async () => {
    const dbPath = await mkdtemp(join(tmpdir(), 'crm-dynamodb-local-'));
    try {
      const first = await startDynamoDbLocal({ dbPath });
      await ensureTable(createDocumentClient({ AWS_REGION: 'us-east-1', DYNAMODB_ENDPOINT: first.endpoint }), 'crm-kept');
      await first.stop();

      const second = await startDynamoDbLocal({ dbPath });
      const { TableNames } = await createDocumentClient({ AWS_REGION: 'eu-west-1', DYNAMODB_ENDPOINT: second.endpoint }).send(
        new ListTablesCommand({}),
      );
      await second.stop();

      // Another region sees it too: the database is shared (-sharedDb).
      expect(TableNames).toEqual(['crm-kept']);
    } finally {
      await rm(dbPath, { recursive: true, force: true });
    }
  });

  it('says Java is needed when there is none', async () => {
    vi.stubEnv('JAVA_HOME', '/nonexistent-jdk');

    await expect(startDynamoDbLocal()).rejects.toThrow(/needs Java 17\+: install a JDK/);
  });
});
