import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import { idempotencyRecordKey } from '../../domain/shared/keys';
import { crmTable } from '../dynamodb/table-definition';
import { logger } from '../logger';

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

export interface IdempotentRequestsOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly expiresAfterSeconds: number;
}

interface Call {
  readonly caller: readonly string[];
  readonly target: readonly string[];
  readonly key: string;
  readonly body: unknown;
}

/**
 * Idempotency-Key on Powertools for AWS Lambda (makeIdempotent): one record per key,
 * caller and target, in progress while the first request runs (until its Lambda would
 * time out, so a crashed request frees its key), then holding what `store` kept of the
 * response. Powertools compares the parsed body (key order and spacing do not matter) and
 * raises IdempotencyValidationError for another body, IdempotencyAlreadyInProgressError
 * while the first runs; the HTTP layer maps those to 422 and 409.
 *
 * When the response cannot be stored the work is done and committed: answering 500 would
 * invite a retry that repeats it, so the client gets its answer. The key stays in progress
 * until its expiry; a retry after that runs again and, with ids derived from the key,
 * finds what the first attempt made.
 */
export function idempotentRequests(options: IdempotentRequestsOptions) {
  const persistenceStore = new CrmTableIdempotencyStore({
    tableName: options.tableName,
    awsSdkV3Client: options.client,
    keyAttr: crmTable.partitionKey,
    sortKeyAttr: crmTable.sortKey,
    expiryAttr: crmTable.timeToLiveAttribute,
  });
  const config = new IdempotencyConfig({ eventKeyJmesPath: 'key', payloadValidationJmesPath: 'body', expiresAfterSeconds: options.expiresAfterSeconds });

  return {
    async once<Result, Stored>(call: Call, context: Context, run: () => Promise<Result>, store: (result: Result) => Stored, replay: (stored: Stored) => Promise<Result>): Promise<Result> {
      let fresh: { readonly result: Result } | undefined;
      const idempotent = makeIdempotent(
        async (_payload: { key: unknown; body: unknown }, _context: Context) => {
          const result = await run();
          fresh = { result };
          return store(result);
        },
        { persistenceStore, config },
      );
      try {
        const stored = (await idempotent({ key: [...call.caller, ...call.target, call.key], body: call.body }, context)) as Stored;
        return fresh ? fresh.result : await replay(stored);
      } catch (error) {
        if (!fresh) throw error;
        logger.error('could not store the idempotent response', error as Error);
        return fresh.result;
      }
    },
  };
}
