import { createHash } from 'node:crypto';
import type { Actor } from '../../domain/shared/actor';
import { idempotentRequests } from '../../adapters/idempotency/idempotent-requests';
import type { CrmRuntime } from '../../adapters/runtime';
import type { ApiOperation } from './api-operation';

/** Idempotency-Key support for the operations of one Lambda that declare it. */
export function idempotencyFor(runtime: CrmRuntime, operations: readonly ApiOperation[]) {
  return idempotentRequests({
    client: runtime.dynamoDbClient,
    tableName: runtime.config.TABLE_NAME,
    expiresAfterSeconds: runtime.config.IDEMPOTENCY_TTL_SECONDS,
    routeKeys: operations.filter((operation) => operation.idempotent).map((operation) => operation.routeKey),
  });
}

/**
 * An id that is the same for every retry of one request: the caller, its Idempotency-Key
 * and what the request is about. Powertools replays a finished request's response; this
 * covers a retry after one that failed midway (its stored record is dropped), which must
 * find what the first attempt did (a claimed email) instead of doing it again.
 */
export function idOfIdempotentRequest(actor: Actor, idempotencyKey: string, ...scope: string[]): string {
  return createHash('sha256').update(JSON.stringify([actor.type, actor.id, idempotencyKey, ...scope])).digest('base64url').slice(0, 32);
}
