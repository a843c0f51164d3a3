import { createRuntime } from '../../adapters/runtime';
import { modelOf } from '../../domain/records/record-models';
import type { RecordModel } from '../../domain/records/record-model';
import { createApiHandler } from './api-handler';
import { recordOperations } from './api-contract';
import { idempotencyFor } from './idempotency';
import { recordImplementations } from './record-operations';

/** The Lambda handler for one record type's routes. */
export function recordHandler(model: RecordModel) {
  const runtime = createRuntime();
  const operations = recordOperations(model);
  return createApiHandler(operations, recordImplementations(runtime, model, modelOf), [idempotencyFor(runtime, operations)]);
}
