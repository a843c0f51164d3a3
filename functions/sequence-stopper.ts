import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import type { CrmEventDetail } from '../domain/events/crm-events';
import { stopSequencesOnOutcome } from '../domain/sequences/contact-outcomes';
import { lambdaHandler } from './lambda-handler';

const runtime = createRuntime();

/** A won or lost deal, or a meeting logged with contacts (the CRM's own rule on its bus): their sequences stop. */
export const handler = lambdaHandler(async (event: EventBridgeEvent<string, CrmEventDetail>) => {
  const { reason, stopped } = await stopSequencesOnOutcome(runtime, event.detail);
  logger.info('sequences stopped', { eventId: event.detail.eventId, reason, stopped: stopped.map((enrollment) => `${enrollment.sequenceId}/${enrollment.contactId}`) });
});
