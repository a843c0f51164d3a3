import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { createRuntime } from '../adapters/runtime';
import { emailEventFromSes } from '../adapters/ses/ses-events';
import { recordEmailEvent } from '../domain/email/record-email-event';

const runtime = createRuntime();

const metricOf = { delivered: 'EmailsDelivered', bounced: 'EmailsBounced', complained: 'EmailsComplained', rejected: 'EmailsRejected' } as const;

/**
 * SES sending events (EventBridge rule, functions/event-rules.ts): the message's status and
 * the suppression list. A thrown error is retried by Lambda's asynchronous invocation.
 */
export const handler = middy<EventBridgeEvent<string, unknown>>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
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
