import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { logger } from '../../adapters/logger';
import { createDynamoDbClient } from '../../adapters/dynamodb/document-client';
import { idempotentRequests } from '../../adapters/idempotency/idempotent-requests';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import { contactModel } from '../../domain/records/contact';
import { modelOf } from '../../domain/records/record-models';
import { apiCore } from '../../functions/http/api-core';
import { recordOperations } from '../../functions/http/contract/records';
import { recordImplementations } from '../../functions/http/record-operations';
import { createTestTable } from '../support/local-dynamodb';

/**
 * Idempotency-Key when the response cannot be stored: the work is committed, so the client
 * gets its answer (a 500 would invite a retry that repeats it); the key stays in progress
 * until the invocation's timeout, and a retry after that finds what the first attempt made.
 */

let runtime: CrmRuntime;
let failingClient: DynamoDBClient;
beforeAll(async () => {
  const table = await createTestTable();
  const config = loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' });
  runtime = createRuntime(config);
  // The idempotency store completes a record with UpdateItem: this client cannot.
  failingClient = createDynamoDbClient(config);
  failingClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'UpdateItemCommand') throw Object.assign(new Error('simulated outage of the idempotency store'), { name: 'InternalServerError' });
      return next(args);
    },
    { step: 'initialize', name: 'failUpdates' },
  );
});

const event = (body: unknown): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'POST /v1/contacts',
    rawPath: '/v1/contacts',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'key-1' },
    body: JSON.stringify(body),
    isBase64Encoded: false,
    requestContext: { requestId: 'r1', http: { method: 'POST' }, authorizer: { jwt: { claims: { sub: 'user-1', 'cognito:groups': '[admin]' }, scopes: null } } },
  }) as unknown as APIGatewayProxyEventV2;

const contextEndingIn = (ms: number): Context => {
  const end = Date.now() + ms;
  return { functionName: 'contacts', awsRequestId: 'a1', getRemainingTimeInMillis: () => end - Date.now() } as unknown as Context;
};

describe('Idempotency-Key when the response cannot be stored', () => {
  it('answers the committed result, holds the key until the timeout, then finds the same record', async () => {
    const core = (client: DynamoDBClient) =>
      apiCore(recordOperations(contactModel), recordImplementations(runtime, contactModel, modelOf), {
        roleClaim: 'cognito:groups',
        idempotency: idempotentRequests({ client, tableName: runtime.config.TABLE_NAME, expiresAfterSeconds: 3600 }),
      });
    const body = { email: 'stored-nowhere@example.com' };

    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    const first = (await core(failingClient)(event(body), contextEndingIn(1_000))) as APIGatewayProxyStructuredResultV2;
    expect(first.statusCode).toBe(201);
    expect(logged).toHaveBeenCalledWith('could not store the idempotent response', expect.objectContaining({ name: 'IdempotencyPersistenceLayerError' }));
    logged.mockRestore();
    const created = JSON.parse(first.body!) as { id: string };

    const whileHeld = (await core(runtime.dynamoDbClient)(event(body), contextEndingIn(1_000))) as APIGatewayProxyStructuredResultV2;
    expect(whileHeld.statusCode).toBe(409);

    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const retried = (await core(runtime.dynamoDbClient)(event(body), contextEndingIn(1_000))) as APIGatewayProxyStructuredResultV2;
    expect(retried.statusCode).toBe(201);
    expect((JSON.parse(retried.body!) as { id: string }).id).toBe(created.id);
  });
});
