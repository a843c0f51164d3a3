import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { idempotencyRecordKey } from '../../domain/shared/keys';
import { crmTable } from '../dynamodb/table-definition';
import { logger } from '../logger';

/**
 * What is kept of a response for replays: status, headers and, for a created record,
 * only its id; for a batch, each input's status, id and version, and for a failed input
 * only its problem type. Stored responses therefore hold no personal data (nothing to
 * erase when a contact is deleted) and stay far below DynamoDB's 400 KB item limit.
 */
export function replayableResponse(response: APIGatewayProxyStructuredResultV2): APIGatewayProxyStructuredResultV2 {
  if (typeof response.body !== 'string') return response;
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    return response;
  }
  if (typeof body !== 'object' || body === null) return response;
  if ('id' in body) return { ...response, body: JSON.stringify({ id: (body as { id: unknown }).id }) };
  if ('results' in body && Array.isArray(body.results)) {
    const results = (body.results as { index: number; status: number; id?: string; version?: number; error?: { type?: string } }[]).map(
      ({ index, status, id, version, error }) => ({ index, status, ...(id ? { id, version } : {}), ...(error ? { error: { type: error.type, status } } : {}) }),
    );
    return { ...response, body: JSON.stringify({ results }) };
  }
  return response;
}

/**
 * Powertools' persistence layer keeps every record under one static partition when a
 * table has a sort key. In the shared CRM table each key gets its own partition
 * instead, so retried requests never contend on one hot key.
 */
class CrmTableIdempotencyStore extends DynamoDBPersistenceLayer {
  protected override getKey(idempotencyKey: string) {
    return marshall(idempotencyRecordKey(idempotencyKey));
  }

  override async saveSuccess(data: unknown, result: unknown): Promise<void> {
    await super.saveSuccess(data as never, replayableResponse(result as APIGatewayProxyStructuredResultV2) as never);
  }
}

/** Replays carry this header so clients and logs can tell a stored response from a fresh one. */
export const REPLAYED_HEADER = 'idempotent-replayed';

export interface IdempotentRequestsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly expiresAfterSeconds: number;
  /** Route keys (`POST /v1/contacts`) that honour Idempotency-Key; every other route ignores it. */
  readonly routeKeys: readonly string[];
}

/**
 * Requests with an `Idempotency-Key` header run once per key, caller and target: a
 * retry gets the stored response, and the same key with another body is refused (the
 * HTTP layer maps Powertools' errors to 422 / 409). Requests without the header, and
 * routes that are not idempotent-capable (reads, PATCH, DELETE), are untouched.
 *
 * The wrapper keeps one Powertools behaviour from hurting us: when the check itself
 * fails (key reused, first request still running), Powertools' onError would delete
 * the *first* request's record. We skip its onError in that case.
 */
export function idempotentRequests(options: IdempotentRequestsOptions): MiddlewareObj<APIGatewayProxyEventV2> {
  const persistenceStore = new CrmTableIdempotencyStore({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
    keyAttr: crmTable.partitionKey,
    sortKeyAttr: crmTable.sortKey,
    expiryAttr: crmTable.timeToLiveAttribute,
  });
  const config = new IdempotencyConfig({
    // The concrete target (method and path, ids included) and the caller (subject and the client
    // it signed in through, so a user and a machine client sharing a subject never meet) form the key.
    eventKeyJmesPath:
      'headers."idempotency-key" && [requestContext.http.method, rawPath, requestContext.authorizer.jwt.claims.sub, requestContext.authorizer.jwt.claims.client_id, headers."idempotency-key"]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: options.expiresAfterSeconds,
    responseHook: (response) => {
      const replay = response as { headers?: Record<string, string> };
      return { ...replay, headers: { ...replay.headers, [REPLAYED_HEADER]: 'true' } };
    },
  });
  const powertools = makeHandlerIdempotent({ persistenceStore, config });
  const applies = new Set(options.routeKeys);
  const skip = Symbol('idempotencySkipped');
  type Internal = Request & { internal: Record<PropertyKey, unknown> };
  const skipped = (request: Request) => (request as Internal).internal[skip] === true;

  return {
    before: async (request) => {
      if (!applies.has(request.event.routeKey)) {
        (request as Internal).internal[skip] = true;
        return;
      }
      try {
        return await powertools.before!(request as never);
      } catch (error) {
        (request as Internal).internal[skip] = true;
        throw error;
      }
    },
    after: async (request) => {
      if (skipped(request)) return;
      try {
        await powertools.after!(request as never);
      } catch (error) {
        // The work is done and committed: answering 500 now would invite a retry that
        // repeats it. The key stays in progress until it expires; the client gets its answer.
        (request as Internal).internal[skip] = true;
        logger.error('could not store the idempotent response', error as Error);
      }
    },
    onError: async (request) => {
      if (!skipped(request)) await powertools.onError!(request as never);
    },
  };
}
