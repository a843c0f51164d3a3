import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createDynamoDbClient } from '../../adapters/dynamodb/document-client';
import { startStreamPoller } from '../../local/stream-poller';
import { createTestTable, type TestTable } from '../support/local-dynamodb';
import { streamKeys } from '../support/fixtures/recording-stream-handler';

/** The local stream poller keeps its place across restarts, as an event source mapping does. */

let table: TestTable;
beforeAll(async () => {
  table = await createTestTable({ streams: true });
});

const consumer = { entry: 'test/support/fixtures/recording-stream-handler.ts', memoryMb: 128, timeoutSeconds: 10, batchSize: 10, maxRetries: 0, filterPatterns: [{ dynamodb: { Keys: { sk: { S: ['POSITION-TEST'] } } } }] };
const put = (pk: string) => table.client.send(new PutCommand({ TableName: table.tableName, Item: { pk, sk: 'POSITION-TEST' } }));

describe('the local stream poller', () => {
  it('resumes after the last record it delivered when given a position file, and reads from the start without one', async () => {
    const positionFile = join(mkdtempSync(join(tmpdir(), 'crm-stream-')), 'position.json');
    const start = () => startStreamPoller({ client: createDynamoDbClient(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' })), tableName: table.tableName, endpoint: table.endpoint, consumers: { recorder: consumer }, positionFile });

    await put('POSITION#1');
    await put('POSITION#2');
    const first = await start();
    await first.drain();
    await first.stop();
    expect(streamKeys()).toEqual(['POSITION#1', 'POSITION#2']);

    await put('POSITION#3');
    const second = await start();
    await second.drain();
    await second.stop();
    expect(streamKeys()).toEqual(['POSITION#1', 'POSITION#2', 'POSITION#3']);

    const fromTheStart = await startStreamPoller({ client: createDynamoDbClient(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' })), tableName: table.tableName, endpoint: table.endpoint, consumers: { recorder: consumer } });
    await fromTheStart.drain();
    await fromTheStart.stop();
    expect(streamKeys().slice(3)).toEqual(['POSITION#1', 'POSITION#2', 'POSITION#3']);
  });
});
