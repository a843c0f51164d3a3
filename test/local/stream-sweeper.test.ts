import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbClient } from '../../adapters/dynamodb/document-client';
import { loadConfig } from '../../adapters/config';
import { createRuntime } from '../../adapters/runtime';
import { contactModel } from '../../domain/records/contact';
import { deleteRecord } from '../../domain/records/delete-record';
import { modelOf } from '../../domain/records/record-models';
import { deployedStreamConsumers, startStreamPoller, type StreamPoller } from '../../local/stream-poller';
import { startTestApi, type TestApi } from '../support/api-server';

let api: TestApi;
let poller: StreamPoller;
beforeAll(async () => {
  api = await startTestApi({ streams: true });
  const config = loadConfig();
  // The sweeper alone: the other consumers need what this file does not start (the event bus, Step Functions).
  const { recordSweeper } = deployedStreamConsumers();
  poller = await startStreamPoller({ client: createDynamoDbClient(config), tableName: config.TABLE_NAME, endpoint: api.table.endpoint, consumers: { recordSweeper: recordSweeper! } });
});
afterAll(async () => {
  // Guarded: when beforeAll failed, its own error is the one worth reading.
  await poller?.stop();
  await api?.close();
});

describe('the stream sweeper, fed by DynamoDB Local\'s stream', () => {
  it('finishes a deletion whose request ran out of time', async () => {
    const contact = (await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Interrupted', email: 'interrupted@example.com' } })).json!;
    const deal = (await api.request<{ id: string }>('POST', '/v1/deals', { body: { name: 'Linked', contactIds: [contact.id] } })).json!;

    // The request's own sweep gets no time at all: only the tombstone is written.
    const outcome = await deleteRecord(createRuntime(loadConfig()), modelOf, contactModel, contact.id, {
      actor: { type: 'user', id: 'test-admin', role: 'admin' },
      hasTimeLeft: () => false,
    });
    expect(outcome).toBe('pending');
    expect((await api.request('GET', `/v1/contacts/${contact.id}`)).status).toBe(404);

    await poller.drain();
    const left = await api.table.client.send(
      new QueryCommand({ TableName: api.table.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CONTACT#${contact.id}` } }),
    );
    expect(left.Items).toEqual([]);
    expect((await api.request<{ contactIds: string[] }>('GET', `/v1/deals/${deal.id}`)).json!.contactIds).toEqual([]);
    expect((await api.request('POST', '/v1/contacts', { body: { email: 'interrupted@example.com' } })).status).toBe(201);
  });
});
