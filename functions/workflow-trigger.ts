import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { StepFunctionsRunStarter } from '../adapters/step-functions/run-starter';
import type { CrmEventDetail } from '../domain/events/crm-events';
import { startWorkflowRuns, type WorkflowRunState } from '../domain/workflows/workflow-runs';
import { lambdaHandler } from './lambda-handler';

const base = createRuntime();
const runtime = { ...base, runStarter: new StepFunctionsRunStarter<WorkflowRunState>(base.config, 'WORKFLOW_STATE_MACHINE_ARN') };

/** A record event on the stage's bus: a run of each enabled workflow it triggers. */
export const handler = lambdaHandler(async (event: EventBridgeEvent<string, CrmEventDetail>) => {
  const runs = await startWorkflowRuns(runtime, event.detail);
  if (runs.length > 0) logger.info('workflow runs', { eventId: event.detail.eventId, runs });
});
