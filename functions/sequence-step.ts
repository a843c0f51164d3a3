import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from '../domain/shared/zod';
import { createEmailRuntime } from '../adapters/email-runtime';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { recordRunFailure, runSequenceStep } from '../domain/sequences/sequence-runs';
import { lambdaHandler } from './lambda-handler';
import { runStepEvent } from './run-step-event';

const runtime = createEmailRuntime();

const run = { sequenceId: z.string().check(z.minLength(1)), contactId: z.string().check(z.minLength(1)), runId: z.string().check(z.minLength(1)), stepIndex: z.int().check(z.gte(0)) };
/** What the sequence-run state machine passes (infra/state-machines/runs.ts). */
const stepEvent = runStepEvent(run);

/** The Task behind the sequence-run state machine: send one step, or record that the run gave up. */
export const handler = lambdaHandler(async (event: unknown) => {
  const input = stepEvent.parse(event);
  const { action, ...step } = input;
  logger.appendKeys({ sequenceId: step.sequenceId, contactId: step.contactId, runId: step.runId, stepIndex: step.stepIndex });
  if (action === 'fail') {
    // The cause is left out: it can quote a recipient's address (the state machine keeps it in the execution history).
    logger.error('sequence run gave up', { error: input.error });
    await recordRunFailure(runtime, step, input.error ?? 'unknown error');
    metrics.addMetric('SequenceStepsFailed', MetricUnit.Count, 1);
    return { ...step, waitSeconds: 0, done: true, outcome: 'failed' };
  }
  const result = await runSequenceStep(runtime, step);
  logger.info('sequence step', { outcome: result.outcome, nextStep: result.stepIndex, done: result.done });
  metrics.addMetric('SequenceStepsSucceeded', MetricUnit.Count, 1);
  if (result.outcome === 'sent') metrics.addMetric('EmailsSent', MetricUnit.Count, 1);
  return result;
});
