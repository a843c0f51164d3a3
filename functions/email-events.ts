import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { createRuntime } from '../adapters/runtime';
import { emailEventFromSes } from '../adapters/ses/ses-events';
import { recordEmailEvent } from '../domain/email/record-email-event';
import { lambdaHandler } from './lambda-handler';

const runtime = createRuntime();

const metricOf = { delivered: 'EmailsDelivered', bounced: 'EmailsBounced', complained: 'EmailsComplained', rejected: 'EmailsRejected' } as const;

/**
 * SES sending events (EventBridge rule, functions/manifest.ts): the message's status and
 * the suppression list. A thrown error is retried by Lambda's asynchronous invocation.
 */
export const handler = lambdaHandler(async (event: EventBridgeEvent<string, unknown>) => {
  const emailEvent = emailEventFromSes(event);
  if (!emailEvent) {
    logger.info('ignored SES event of a message the CRM did not send', { detailType: event['detail-type'], eventId: event.id });
    return;
  }
  const result = await recordEmailEvent(runtime, emailEvent);
  // Counted once it is known to be this deployment's mail: what the alarms and dashboard read.
  if (result.outcome === 'recorded') metrics.addMetric(metricOf[emailEvent.kind], MetricUnit.Count, 1);
  // Addresses are personal data: the log names the message, not the recipients.
  logger.info('email event', { kind: emailEvent.kind, messageId: emailEvent.messageId, ...result, ...('suppressed' in result ? { suppressed: result.suppressed.length } : {}) });
});
