import type { WebhookDependencies } from '../domain/webhooks/webhook-ports';
import { createRuntime, type CrmRuntime } from './runtime';
import { SqsDeliveryQueue } from './webhooks/sqs-delivery-queue';
import { ssrfSafeTransport } from './webhooks/ssrf-safe-transport';
import { standardWebhooksSigning } from './webhooks/standard-webhooks-signing';

/** The runtime of the functions that manage, queue or make webhook deliveries (its SQS client only in their bundles). */
export type WebhookRuntime = CrmRuntime & WebhookDependencies & { readonly deliveryQueue: SqsDeliveryQueue };

export function createWebhookRuntime(base: CrmRuntime = createRuntime()): WebhookRuntime {
  return {
    ...base,
    webhookTransport: ssrfSafeTransport({ allowLoopback: base.config.WEBHOOK_ALLOW_LOOPBACK === 'true' }),
    webhookSigning: standardWebhooksSigning,
    deliveryQueue: new SqsDeliveryQueue(base.config),
  };
}
