import * as z from '../domain/shared/zod';
import { createRuntime } from '../adapters/runtime';
import { logger } from '../adapters/logger';
import { rebuildReportsStep } from '../domain/reports/rebuild-reports';
import { lambdaHandler } from './lambda-handler';
import { runStepEvent } from './run-step-event';

const runtime = createRuntime();

/** A record is begun only with this much of the invocation left: one contact with many emails takes seconds, not a minute. */
const RECORD_HEADROOM_MS = 60_000;

const count = z.number().check(z.int(), z.gte(0));
const position = { partition: count, cursor: z.string(), records: count, mended: count };
/** What the report-rebuild state machine passes (infra/state-machines/runs.ts). */
const stepEvent = runStepEvent(position);

/** The Task behind the report-rebuild state machine: mend the next pages' shares, or record that the rebuild gave up. */
export const handler = lambdaHandler(async (event: unknown, context) => {
  const input = stepEvent.parse(event);
  if (input.action === 'fail') {
    // The cause is left out: it can quote a record's values (the execution history keeps it).
    logger.error('report rebuild gave up', { error: input.error, partition: input.partition, records: input.records, mended: input.mended });
    return { ...input, waitSeconds: 0, done: true };
  }
  const progress = await rebuildReportsStep(runtime, input, () => context.getRemainingTimeInMillis() > RECORD_HEADROOM_MS);
  logger.info('report rebuild step', { ...progress });
  return { partition: progress.partition, cursor: progress.cursor, records: progress.records, mended: progress.mended, waitSeconds: 0, done: progress.done };
});
