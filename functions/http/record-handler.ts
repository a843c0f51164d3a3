import { idempotentRequests } from '../../adapters/idempotency/idempotent-requests';
import { createRuntime } from '../../adapters/runtime';
import { modelOf } from '../../domain/records/record-models';
import type { RecordModel } from '../../domain/records/record-model';
import { createApiHandler } from './api-handler';
import { recordOperations } from './api-contract';
import { recordImplementations } from './record-operations';

/** The Lambda handler for one record type's routes. */
export function recordHandler(model: RecordModel) {
  const runtime = createRuntime();
  return createApiHandler(recordOperations(model), recordImplementations(runtime, model, modelOf), [
    idempotentRequests({ client: runtime.dynamoDbClient, tableName: runtime.config.TABLE_NAME, expiresAfterSeconds: runtime.config.IDEMPOTENCY_TTL_SECONDS }),
  ]);
}
