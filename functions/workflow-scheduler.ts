import * as z from '../domain/shared/zod';
import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { StepFunctionsRunStarter } from '../adapters/step-functions/run-starter';
import { fireScheduledWorkflows, type WorkflowRunState } from '../domain/workflows/workflow-runs';
import { lambdaHandler } from './lambda-handler';

const base = createRuntime();
const runtime = { ...base, runStarter: new StepFunctionsRunStarter<WorkflowRunState>(base.config, 'WORKFLOW_STATE_MACHINE_ARN') };

/** What the stage's schedule sends (infra/constructs/scheduled-function.ts): the time this invocation is for. */
const tick = z.object({ scheduledTime: z.iso.datetime() });

/** A tick of the schedule: the scheduled workflows that are due fire for their period. */
export const handler = lambdaHandler(async (event: unknown) => {
  const { scheduledTime } = tick.parse(event);
  const fired = (await fireScheduledWorkflows(runtime, new Date(scheduledTime))).filter((outcome) => outcome.outcome === 'fired');
  if (fired.length > 0) logger.info('scheduled workflows fired', { scheduledTime, fired });
});
