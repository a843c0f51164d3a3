import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { IdempotencyConfig } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { makeHandlerIdempotent } from '@aws-lambda-powertools/idempotency/middleware';
import type { MiddlewareObj, Request } from '@middy/core';
import { idempotencyRecordKey } from '../../domain/shared/keys';
import { crmTable } from '../dynamodb/table-definition';

/**
 * Powertools' persistence layer keeps every record under one static partition when a
 * table has a sort key. In the shared CRM table each key gets its own partition
 * instead, so retried requests never contend on one hot key.
 */
class CrmTableIdempotencyStore extends DynamoDBPersistenceLayer {
  protected override getKey(idempotencyKey: string) {
    return marshall(idempotencyRecordKey(idempotencyKey));
  }
}

/** Replays carry this header so clients and logs can tell a stored response from a fresh one. */
export const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Requests with an `Idempotency-Key` header run once per key and route: a retry gets
 * the stored response, and the same key with another body is refused (the domain
 * maps Powertools' errors to 422 / 409). Requests without the header are untouched.
 *
 * The wrapper keeps one Powertools behaviour from hurting us: when the check itself
 * fails (key reused, first request still running), Powertools' onError would delete
 * the *first* request's record. We skip its onError in that case.
 */
export function idempotentRequests(options: { client: DynamoDBClient; tableName: string; expiresAfterSeconds: number }): MiddlewareObj {
  const persistenceStore = new CrmTableIdempotencyStore({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
    keyAttr: crmTable.partitionKey,
    sortKeyAttr: crmTable.sortKey,
    expiryAttr: crmTable.timeToLiveAttribute,
  });
  const config = new IdempotencyConfig({
    // Scoped to route and caller: one key used on two endpoints, or by two callers, never crosses over.
    eventKeyJmesPath: 'headers."idempotency-key" && [requestContext.routeKey, requestContext.authorizer.jwt.claims.sub, headers."idempotency-key"]',
    payloadValidationJmesPath: 'body',
    expiresAfterSeconds: options.expiresAfterSeconds,
    responseHook: (response) => {
      const replay = response as { headers?: Record<string, string> };
      return { ...replay, headers: { ...replay.headers, [REPLAYED_HEADER]: 'true' } };
    },
  });
  const powertools = makeHandlerIdempotent({ persistenceStore, config });
  const checkFailed = Symbol('idempotencyCheckFailed');
  type Internal = Request & { internal: Record<PropertyKey, unknown> };

  return {
    before: async (request) => {
      try {
        return await powertools.before!(request as never);
      } catch (error) {
        (request as Internal).internal[checkFailed] = true;
        throw error;
      }
    },
    after: (request) => powertools.after!(request as never),
    onError: async (request) => {
      if ((request as Internal).internal[checkFailed]) return;
      await powertools.onError!(request as never);
    },
  };
}
