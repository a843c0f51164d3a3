import type { Context } from 'aws-lambda';
import { createImportRuntime } from '../adapters/import-runtime';
import { logger } from '../adapters/logger';
import { recordImportFailure, runImportStep } from '../domain/imports/imports';
import { lambdaHandler } from './lambda-handler';
import { runIdField, runStepEvent } from './run-step-event';

const runtime = createImportRuntime();
/** A step stops reading new rows this long before its timeout: the batches in flight and the save still fit. */
const RESERVE_MS = 120_000;

/** What the import-run state machine passes (infra/state-machines/runs.ts). */
const stepEvent = runStepEvent(runIdField);

/** The Task behind the import-run state machine: import the next rows of the file (or write its error report), or record that it gave up. */
export const handler = lambdaHandler(async (event: unknown, context: Context) => {
  const input = stepEvent.parse(event);
  logger.appendKeys({ importId: input.runId });
  if (input.action === 'fail') {
    logger.error('import gave up', { error: input.error });
    await recordImportFailure(runtime, input.runId, input.error ?? 'unknown error');
    return { runId: input.runId, waitSeconds: 0, done: true };
  }
  const { done } = await runImportStep(runtime, input.runId, () => context.getRemainingTimeInMillis() > RESERVE_MS);
  return { runId: input.runId, waitSeconds: 0, done };
});
