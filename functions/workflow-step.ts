import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { createEmailRuntime } from '../adapters/email-runtime';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { recordWorkflowRunFailure, runWorkflowSteps } from '../domain/workflows/workflow-runs';
import { lambdaHandler } from './lambda-handler';
import { runIdField, runStepEvent } from './run-step-event';

const runtime = createEmailRuntime();

/** What the workflow-run state machine passes (infra/state-machines/runs.ts). */
const stepEvent = runStepEvent(runIdField);

/** The Task behind the workflow-run state machine: run the run's next steps, or record that it gave up. */
export const handler = lambdaHandler(async (event: unknown) => {
  const input = stepEvent.parse(event);
  logger.appendKeys({ runId: input.runId });
  if (input.action === 'fail') {
    // The cause is left out: it can quote a recipient's address (the execution history keeps it).
    logger.error('workflow run gave up', { error: input.error });
    await recordWorkflowRunFailure(runtime, input.runId, input.error ?? 'unknown error');
    metrics.addMetric('WorkflowRunsFailed', MetricUnit.Count, 1);
    return { runId: input.runId, waitSeconds: 0, done: true, outcome: 'failed' };
  }
  const result = await runWorkflowSteps(runtime, input.runId, { waitsCutShort: runtime.config.STEP_FUNCTIONS_MAX_WAIT_SECONDS !== undefined });
  logger.info('workflow steps', { outcome: result.outcome, waitSeconds: result.waitSeconds, done: result.done });
  if (result.outcome === 'failed') metrics.addMetric('WorkflowRunsFailed', MetricUnit.Count, 1);
  return result;
});
