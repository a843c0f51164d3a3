import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { DeliveryQueue, DeliveryRef } from '../../domain/webhooks/webhook-ports';
import type { Config } from '../config';

/** SQS takes at most 10 messages per SendMessageBatch. */
const BATCH = 10;

/**
 * The webhook delivery queue (WEBHOOK_DELIVERY_QUEUE_URL): one message per delivery. A failed
 * attempt's pause is the message's visibility timeout (up to SQS's 12 h), so each delivery
 * waits on its own and one failing endpoint holds up no other.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  private readonly client: SQSClient;

  constructor(private readonly config: Pick<Config, 'AWS_REGION' | 'SQS_ENDPOINT' | 'WEBHOOK_DELIVERY_QUEUE_URL'>) {
    this.client = new SQSClient({
      region: config.AWS_REGION,
      ...(config.SQS_ENDPOINT ? { endpoint: config.SQS_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  }

  private get queueUrl(): string {
    const url = this.config.WEBHOOK_DELIVERY_QUEUE_URL;
    if (!url) throw new Error('WEBHOOK_DELIVERY_QUEUE_URL is not set: this function cannot queue webhook deliveries.');
    return url;
  }

  async enqueue(deliveries: readonly DeliveryRef[]): Promise<void> {
    for (let start = 0; start < deliveries.length; start += BATCH) {
      const batch = deliveries.slice(start, start + BATCH);
      const { Failed = [] } = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: batch.map((delivery, index) => ({ Id: String(index), MessageBody: JSON.stringify(delivery) })) }),
      );
      // Throwing makes the caller's invocation fail and retry: its deliveries are written, and queued again.
      if (Failed.length > 0) throw new Error(`SQS refused ${Failed.length} of ${batch.length} deliveries: ${Failed.map((entry) => `${entry.Code}: ${entry.Message}`).join('; ')}`);
    }
  }

  /** Offers a received message again after `seconds` (the pause before its next attempt). */
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.min(seconds, 43_200) }));
  }
}
