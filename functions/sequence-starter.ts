import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { StepFunctionsRunStarter } from '../adapters/step-functions/run-starter';
import { itemToEnrollment } from '../domain/sequences/sequence-items';
import { startSequenceRun, type SequenceRunState } from '../domain/sequences/sequence-runs';
import { createStreamHandler } from './stream/stream-handler';

const base = createRuntime();
const runtime = { ...base, runStarter: new StepFunctionsRunStarter<SequenceRunState>(base.config, 'SEQUENCE_STATE_MACHINE_ARN') };

/** Every new or resumed run on the stream (an active enrollment marked `starting`): start its execution. */
export const handler = createStreamHandler(async (change) => {
  if (change.entity !== 'enrollment' || !change.after) return;
  const enrollment = itemToEnrollment(change.after);
  const outcome = await startSequenceRun(runtime, enrollment);
  logger.info('sequence run', { outcome, sequenceId: enrollment.sequenceId, contactId: enrollment.contactId, runId: enrollment.runId });
});
