import { S3ImportFiles } from './s3/s3-import-files';
import { StepFunctionsRunStarter } from './step-functions/run-starter';
import { createRuntime, type CrmRuntime } from './runtime';
import type { ImportDependencies, ImportRunStarter } from '../domain/imports/imports';

export interface ImportRuntime extends CrmRuntime, ImportDependencies {
  readonly runStarter: ImportRunStarter;
}

/** The runtime of the functions that start and run imports: the CRM's, plus the bucket their files are in and the import state machine. */
export function createImportRuntime(): ImportRuntime {
  const base = createRuntime();
  return {
    ...base,
    files: new S3ImportFiles(base.config),
    partBytes: base.config.EXPORT_PART_BYTES,
    rowsPerStep: base.config.IMPORT_ROWS_PER_STEP,
    parallelBatches: base.config.IMPORT_PARALLEL_BATCHES,
    concurrentRanges: base.config.IMPORT_CONCURRENT_RANGES,
    runStarter: new StepFunctionsRunStarter<{ readonly runId: string; readonly waitSeconds: number }>(base.config, 'IMPORT_STATE_MACHINE_ARN'),
  };
}
