import { S3ExportFiles } from './s3/s3-export-files';
import { StepFunctionsRunStarter } from './step-functions/run-starter';
import { createRuntime, type CrmRuntime } from './runtime';
import type { ExportDependencies, ExportRunStarter } from '../domain/exports/exports';

export interface ExportRuntime extends CrmRuntime, ExportDependencies {
  readonly runStarter: ExportRunStarter;
}

/** The runtime of the functions that start and write exports: the CRM's, plus the export bucket and the export state machine. */
export function createExportRuntime(): ExportRuntime {
  const base = createRuntime();
  return {
    ...base,
    files: new S3ExportFiles(base.config),
    partBytes: base.config.EXPORT_PART_BYTES,
    runStarter: new StepFunctionsRunStarter<{ readonly runId: string; readonly waitSeconds: number }>(base.config, 'EXPORT_STATE_MACHINE_ARN'),
  };
}
