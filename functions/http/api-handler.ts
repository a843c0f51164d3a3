import { loadConfig } from '../../adapters/config';
import { lambdaHandler } from '../lambda-handler';
import { apiCore, type ApiCoreOptions } from './api-core';
import type { Implementations, OperationGroup } from './api-operation';

/**
 * The Lambda handler of one operation group: apiCore in the one middy stack. Groups that
 * write pass their services (api-services.ts: idempotency, owners), so the other functions'
 * bundles carry no idempotency code.
 */
export function apiHandler<G extends OperationGroup>(group: G, implementations: Implementations<G>, options: Pick<ApiCoreOptions, 'idempotency' | 'owners'> = {}) {
  return lambdaHandler(apiCore(group, implementations, { roleClaim: loadConfig().AUTH_ROLE_CLAIM, ...options }));
}
