import { createExportRuntime } from '../adapters/export-runtime';
import { logger } from '../adapters/logger';
import { recordExportFailure, runExportStep } from '../domain/exports/exports';
import { lambdaHandler } from './lambda-handler';
import { runIdField, runStepEvent } from './run-step-event';

const runtime = createExportRuntime();

/** What the export-run state machine passes (infra/state-machines/runs.ts). */
const stepEvent = runStepEvent(runIdField);

/** The Task behind the export-run state machine: write the next part of the export's file, or record that it gave up. */
export const handler = lambdaHandler(async (event: unknown) => {
  const input = stepEvent.parse(event);
  logger.appendKeys({ exportId: input.runId });
  if (input.action === 'fail') {
    logger.error('export gave up', { error: input.error });
    await recordExportFailure(runtime, input.runId, input.error ?? 'unknown error');
    return { runId: input.runId, waitSeconds: 0, done: true };
  }
  const { done } = await runExportStep(runtime, input.runId);
  return { runId: input.runId, waitSeconds: 0, done };
});
