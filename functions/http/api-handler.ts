import { loadConfig } from '../../adapters/config';
import { lambdaHandler } from '../lambda-handler';
import { apiCore } from './api-core';
import type { Implementations, OperationGroup } from './api-operation';
import type { IdempotencyGuard } from './idempotency';

/**
 * The Lambda handler of one operation group: apiCore in the one middy stack. Groups with
 * idempotent operations pass their guard (idempotency-store.ts), so the other functions'
 * bundles carry no idempotency code.
 */
export function apiHandler<G extends OperationGroup>(group: G, implementations: Implementations<G>, options: { readonly idempotency?: IdempotencyGuard } = {}) {
  return lambdaHandler(apiCore(group, implementations, { roleClaim: loadConfig().AUTH_ROLE_CLAIM, ...options }));
}
