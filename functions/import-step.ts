import type { Context } from 'aws-lambda';
import { createImportRuntime } from '../adapters/import-runtime';
import { logger } from '../adapters/logger';
import { recordImportFailure, runImportRangeStep, runImportStep } from '../domain/imports/imports';
import { lambdaHandler } from './lambda-handler';
import { runIdField, runStepEventWithParts } from './run-step-event';

const runtime = createImportRuntime();
/** A step stops reading new rows this long before its timeout: the batches in flight and the save still fit. */
const RESERVE_MS = 120_000;

/** What the import-run state machine passes (infra/state-machines/runs.ts). */
const stepEvent = runStepEventWithParts(runIdField);

/** The Task behind the import-run state machine: split the file, import the next rows of a range, finish the rows or write the error report; or record that it gave up. */
export const handler = lambdaHandler(async (event: unknown, context: Context) => {
  const input = stepEvent.parse(event);
  logger.appendKeys({ importId: input.runId });
  if (input.action === 'fail') {
    logger.error('import gave up', { error: input.error });
    await recordImportFailure(runtime, input.runId, input.error ?? 'unknown error');
    return { runId: input.runId, waitSeconds: 0, done: true };
  }
  const hasTimeLeft = () => context.getRemainingTimeInMillis() > RESERVE_MS;
  try {
    if (input.action === 'part') return { runId: input.runId, part: input.part, ...(await runImportRangeStep(runtime, input.runId, input.part, hasTimeLeft)) };
    const { done, ranges, concurrency } = await runImportStep(runtime, input.runId, hasTimeLeft);
    // Ranges handed out go to the state machine's Map (`parts`), `concurrency` at once.
    return { runId: input.runId, waitSeconds: 0, done, ...(ranges ? { parts: ranges, concurrency } : {}) };
  } catch (error) {
    // The state machine retries the step from its saved position; without this line a throttled or contended step retries unexplained.
    // Name and message only: a cause (an SDK error) may quote a row's values.
    logger.warn('import step failed; the state machine retries it', { part: input.action === 'part' ? input.part : null, error: { name: (error as Error).name, message: (error as Error).message } });
    throw error;
  }
});
