import type { CrmRuntime } from '../../adapters/runtime';
import { idempotentRequests } from '../../adapters/idempotency/idempotent-requests';
import type { IdempotencyGuard } from './idempotency';

/** Idempotency-Key support, stored in the CRM table, for the functions whose group has idempotent operations. */
export function idempotencyFor(runtime: Pick<CrmRuntime, 'dynamoDbClient' | 'config'>): IdempotencyGuard {
  return idempotentRequests({ client: runtime.dynamoDbClient, tableName: runtime.config.TABLE_NAME, expiresAfterSeconds: runtime.config.IDEMPOTENCY_TTL_SECONDS });
}
