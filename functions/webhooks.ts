import { createWebhookRuntime } from '../adapters/webhook-runtime';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  getWebhookDelivery,
  listWebhookDeliveries,
  listWebhooks,
  replayWebhook,
  retryWebhookDelivery,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
} from '../domain/webhooks/webhooks';
import { apiHandler } from './http/api-handler';
import { apiServicesFor } from './http/api-services';
import { webhookOperations } from './http/contract/webhooks';
import { withIdempotentIds } from './http/idempotency';
import { created, withEtag } from './http/responses';

const runtime = createWebhookRuntime();

export const handler = apiHandler(
  webhookOperations,
  {
    createWebhook: async (request) => {
      const webhook = await createWebhook(withIdempotentIds(runtime, request, 'webhook'), request.body, request.actor);
      return created(`/v1/webhooks/${webhook.id}`, webhook);
    },
    listWebhooks: async ({ query, actor }) => ({ status: 200, body: await listWebhooks(runtime, query, actor) }),
    getWebhook: async ({ params, actor }) => withEtag(200, await getWebhook(runtime, params.id, actor)),
    updateWebhook: async ({ params, body, actor, ifMatch }) => withEtag(200, await updateWebhook(runtime, params.id, body, actor, ifMatch)),
    deleteWebhook: async ({ params, actor, ifMatch }) => {
      await deleteWebhook(runtime, params.id, actor, ifMatch);
      return { status: 204 };
    },
    rotateWebhookSecret: async ({ params, body, actor }) => ({ status: 200, body: await rotateWebhookSecret(runtime, params.id, body.overlapHours, actor) }),
    testWebhook: async ({ params, actor }) => ({ status: 200, body: await testWebhook(runtime, params.id, actor) }),
    listWebhookDeliveries: async ({ params, query, actor }) => ({ status: 200, body: await listWebhookDeliveries(runtime, params.id, query, actor) }),
    getWebhookDelivery: async ({ params, actor }) => ({ status: 200, body: await getWebhookDelivery(runtime, params.id, params.deliveryId, actor) }),
    retryWebhookDelivery: async ({ params, actor }) => ({ status: 202, body: await retryWebhookDelivery(runtime, params.id, params.deliveryId, actor) }),
    replayWebhook: async ({ params, body, actor }) => ({ status: 202, body: await replayWebhook(runtime, params.id, body, actor) }),
  },
  apiServicesFor(runtime),
);
