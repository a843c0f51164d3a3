import { createRuntime } from '../../adapters/runtime';
import { modelOf } from '../../domain/records/record-models';
import type { RecordModel } from '../../domain/records/record-model';
import { apiHandler } from './api-handler';
import { duplicateOperations, recordOperations } from './contract/records';
import { apiServicesFor } from './api-services';
import { duplicateImplementations, recordImplementations } from './record-operations';

/** The Lambda handler for one record type's routes. */
export function recordHandler(model: RecordModel) {
  const runtime = createRuntime();
  return apiHandler(recordOperations(model), recordImplementations(runtime, model, modelOf), apiServicesFor(runtime));
}

/** The same, with merging (contacts, companies). */
export function mergeableRecordHandler(model: RecordModel) {
  const runtime = createRuntime();
  return apiHandler(
    { ...recordOperations(model), ...duplicateOperations(model) },
    { ...recordImplementations(runtime, model, modelOf), ...duplicateImplementations(runtime, model, modelOf) },
    apiServicesFor(runtime),
  );
}
