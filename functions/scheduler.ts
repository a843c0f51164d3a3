import * as z from '../domain/shared/zod';
import { createEmailRuntime } from '../adapters/email-runtime';
import { logger } from '../adapters/logger';
import { StepFunctionsRunStarter } from '../adapters/step-functions/run-starter';
import { sendDailyDigests } from '../domain/digest/daily-digest';
import { fireScheduledWorkflows, type WorkflowRunState } from '../domain/workflows/workflow-runs';
import { lambdaHandler } from './lambda-handler';

const base = createEmailRuntime();
const runtime = { ...base, runStarter: new StepFunctionsRunStarter<WorkflowRunState>(base.config, 'WORKFLOW_STATE_MACHINE_ARN') };
const { DAILY_DIGEST_AT, DAILY_DIGEST_TIME_ZONE, PUBLIC_API_URL } = base.config;
/** The stage's daily digest (email.dailyDigest in its config), if it has one. */
const digest = DAILY_DIGEST_AT && DAILY_DIGEST_TIME_ZONE ? { at: DAILY_DIGEST_AT, timeZone: DAILY_DIGEST_TIME_ZONE } : undefined;
const digestDeps = { ...runtime, ...(PUBLIC_API_URL ? { taskUrl: (id: string) => `${PUBLIC_API_URL}/v1/activities/${id}` } : {}) };

/** What the stage's schedule sends (infra/constructs/scheduled-function.ts): the time this invocation is for. */
const tick = z.object({ scheduledTime: z.iso.datetime() });

/** A tick of the schedule: the scheduled workflows that are due fire for their period, and the daily digest goes out once its time has come. */
export const handler = lambdaHandler(async (event: unknown) => {
  const { scheduledTime } = tick.parse(event);
  const at = new Date(scheduledTime);
  const fired = (await fireScheduledWorkflows(runtime, at)).filter((outcome) => outcome.outcome === 'fired');
  if (fired.length > 0) logger.info('scheduled workflows fired', { scheduledTime, fired });
  if (!digest) return;
  const sent = await sendDailyDigests(digestDeps, digest, at);
  if (sent.outcome === 'sent') logger.info('daily digest', { scheduledTime, ...sent });
});
