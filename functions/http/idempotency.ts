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
