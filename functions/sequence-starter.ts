import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { StepFunctionsSequenceRunStarter } from '../adapters/step-functions/sequence-run-starter';
import { itemToEnrollment } from '../domain/sequences/sequence-items';
import { startSequenceRun } from '../domain/sequences/sequence-runs';
import { createStreamHandler } from './stream/stream-handler';

const base = createRuntime();
const runtime = { ...base, runStarter: new StepFunctionsSequenceRunStarter(base.config) };

/** Every new or resumed run on the stream (an active enrollment marked `starting`): start its execution. */
export const handler = createStreamHandler(async (change) => {
  if (change.entity !== 'enrollment' || !change.after) return;
  const enrollment = itemToEnrollment(change.after);
  const outcome = await startSequenceRun(runtime, enrollment);
  logger.info('sequence run', { outcome, sequenceId: enrollment.sequenceId, contactId: enrollment.contactId, runId: enrollment.runId });
});
