import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createEmailRuntime } from '../adapters/email-runtime';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { createWebhookRuntime } from '../adapters/webhook-runtime';
import { attemptDelivery } from '../domain/webhooks/webhook-deliveries';
import type { DeliveryRef } from '../domain/webhooks/webhook-ports';
import { endpointsOf } from '../domain/webhooks/webhooks';
import { lambdaHandler } from './lambda-handler';

const runtime = createWebhookRuntime(createEmailRuntime());
const deps = { ...runtime, endpoints: endpointsOf(runtime), random: Math.random };

/** Thrown for a failed attempt: the message is reported failed, and comes back after its pause. */
class RetryLater extends Error {}

/**
 * One attempt of each queued delivery (SQS, functions/manifest.ts). A failed attempt sets its
 * message's visibility to the pause before the next one and reports the message failed, so
 * SQS offers it again then; a success or a final failure deletes it.
 */
async function deliver(record: SQSRecord): Promise<void> {
  const ref = JSON.parse(record.body) as DeliveryRef;
  const result = await attemptDelivery(deps, ref).catch((error: unknown) => {
    // Retried by SQS when the message is visible again, then dead-lettered: this line says why.
    logger.error('webhook delivery failed', { webhookId: ref.webhookId, deliveryId: ref.deliveryId, error });
    throw error;
  });
  const delivery = result.delivery;
  if (delivery && delivery.attempts > 0) {
    const last = delivery.attemptLog.at(-1);
    metrics.addMetric(delivery.status === 'succeeded' ? 'WebhookDeliveriesSucceeded' : 'WebhookAttemptsFailed', MetricUnit.Count, 1);
    if (delivery.status === 'failed') metrics.addMetric('WebhookDeliveriesFailed', MetricUnit.Count, 1);
    if (last) metrics.addMetric('WebhookLatency', MetricUnit.Milliseconds, last.latencyMs);
    logger.info('webhook attempt', { webhookId: ref.webhookId, deliveryId: ref.deliveryId, status: delivery.status, attempts: delivery.attempts, responseStatus: last?.responseStatus, error: last?.error });
  }
  if (result.outcome === 'retry') {
    await runtime.deliveryQueue.delay(record.receiptHandle, result.pauseSeconds);
    throw new RetryLater(`attempt ${result.delivery.attempts} failed; next in ${result.pauseSeconds} s`);
  }
}

// A processor per invocation: one keeps the failures of the batch it runs, and invocations that
// share a process (the local runtime runs several at once) must not report each other's.
export const handler = lambdaHandler((event: SQSEvent, context) => processPartialResponse(event, deliver, new BatchProcessor(EventType.SQS), { context, throwOnFullBatchFailure: false }));
