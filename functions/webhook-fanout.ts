import type { EventBridgeEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { SqsDeliveryQueue } from '../adapters/webhooks/sqs-delivery-queue';
import type { CrmEventDetail } from '../domain/events/crm-events';
import { deliveriesForEvent } from '../domain/webhooks/webhook-deliveries';
import { allWebhooks } from '../domain/webhooks/webhooks';
import { lambdaHandler } from './lambda-handler';

const runtime = createRuntime();
const queue = new SqsDeliveryQueue(runtime.config);

/**
 * Every CRM event (the CRM's own rule on its bus): a delivery for each endpoint that wants it,
 * written, then queued. The endpoints are read for each event (one eventually consistent
 * Query of their one partition, about half a read unit): a new endpoint gets the next event,
 * and the partition stays under DynamoDB's 3,000 reads a second per key up to ~6,000 events a
 * second (docs/data-model.md).
 */
export const handler = lambdaHandler(async (event: EventBridgeEvent<string, CrmEventDetail>) => {
  const deliveries = await deliveriesForEvent(runtime, event.detail, await allWebhooks(runtime));
  if (deliveries.length === 0) return;
  await queue.enqueue(deliveries);
  logger.info('webhook deliveries queued', { eventId: event.detail.eventId, deliveries: deliveries.length });
});
