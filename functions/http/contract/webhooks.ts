import * as z from '../../../domain/shared/zod';
import { isoDateTime, recordId } from '../../../domain/shared/common-fields';
import { deliverySchema, deliveryWithPayloadSchema } from '../../../domain/webhooks/webhook-deliveries';
import { webhookSchemas } from '../../../domain/webhooks/webhook';
import { operation } from '../api-operation';
import { idParams, pageOf, pageQuery } from './common';

const schemas = () => webhookSchemas();
const deliveryParams = z.object({ id: recordId, deliveryId: recordId });
const replayBody = z
  .strictObject({ from: isoDateTime, to: isoDateTime })
  .check(z.meta({ id: 'WebhookReplay', description: 'Deliver again every event of this endpoint that happened from `from` to `to` (inclusive), whatever became of it.' }));
const replayed = z.object({ queued: z.int().check(z.meta({ description: 'Deliveries queued again.' })) }).check(z.meta({ id: 'WebhookReplayQueued' }));
const verifying = 'Deliveries follow the Standard Webhooks specification: verify them with the `standardwebhooks` library (docs/integrations.md).';

export const webhookOperations = {
  createWebhook: operation({
    routeKey: 'POST /v1/webhooks',
    operationId: 'createWebhook',
    summary: 'Register an endpoint for record events; the answer shows its signing secret, once (admins)',
    description: verifying,
    tag: 'Webhooks',
    body: () => schemas().create,
    bodyExample: { url: 'https://billing.example.com/crm-events', eventTypes: ['deal.*', 'contact.created'], description: 'Billing system' },
    success: { status: 201, description: 'Created, with its signing secret (shown this once)', schema: () => schemas().withSecret, location: true, etag: true },
    idempotent: true,
    adminOnly: true,
  }),
  listWebhooks: operation({
    routeKey: 'GET /v1/webhooks',
    operationId: 'listWebhooks',
    summary: 'List webhook endpoints, newest first (admins)',
    tag: 'Webhooks',
    query: pageQuery,
    adminOnly: true,
    success: { status: 200, description: 'One page', schema: () => pageOf(schemas().webhook, 'WebhookPage') },
  }),
  getWebhook: operation({
    routeKey: 'GET /v1/webhooks/{id}',
    operationId: 'getWebhook',
    summary: 'Get a webhook endpoint (admins)',
    tag: 'Webhooks',
    pathParams: idParams,
    adminOnly: true,
    success: { status: 200, description: 'The endpoint, with its ETag', schema: () => schemas().webhook, etag: true },
  }),
  updateWebhook: operation({
    routeKey: 'PATCH /v1/webhooks/{id}',
    operationId: 'updateWebhook',
    summary: 'Change, enable or disable a webhook endpoint (admins)',
    tag: 'Webhooks',
    pathParams: idParams,
    body: () => schemas().update,
    bodyExample: { enabled: true },
    adminOnly: true,
    success: { status: 200, description: 'Updated, with its new ETag', schema: () => schemas().webhook, etag: true },
    conditional: true,
  }),
  deleteWebhook: operation({
    routeKey: 'DELETE /v1/webhooks/{id}',
    operationId: 'deleteWebhook',
    summary: 'Delete a webhook endpoint; queued deliveries to it are dropped (admins)',
    tag: 'Webhooks',
    pathParams: idParams,
    adminOnly: true,
    success: { status: 204, description: 'Deleted' },
    conditional: true,
  }),
  rotateWebhookSecret: operation({
    routeKey: 'POST /v1/webhooks/{id}/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'Make a new signing secret, shown once; the old one keeps signing for the overlap (admins)',
    description: 'During the overlap every delivery carries one signature per secret in `webhook-signature`, so receivers may switch secrets at any moment in it.',
    tag: 'Webhooks',
    pathParams: idParams,
    body: () => schemas().rotate,
    bodyOptional: true,
    bodyExample: { overlapHours: 24 },
    adminOnly: true,
    success: { status: 200, description: 'The endpoint, with its new secret (shown this once)', schema: () => schemas().withSecret },
  }),
  testWebhook: operation({
    routeKey: 'POST /v1/webhooks/{id}/test',
    operationId: 'testWebhook',
    summary: 'Send a signed `webhook.test` event to the endpoint now, and see what it answered (admins)',
    tag: 'Webhooks',
    pathParams: idParams,
    adminOnly: true,
    success: { status: 200, description: 'The delivery, with its one attempt', schema: deliverySchema },
  }),
  listWebhookDeliveries: operation({
    routeKey: 'GET /v1/webhooks/{id}/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: "List an endpoint's deliveries, newest event first: status, attempts, response codes, latency (admins)",
    tag: 'Webhooks',
    pathParams: idParams,
    query: pageQuery,
    adminOnly: true,
    success: { status: 200, description: 'One page', schema: pageOf(deliverySchema, 'WebhookDeliveryPage') },
  }),
  getWebhookDelivery: operation({
    routeKey: 'GET /v1/webhooks/{id}/deliveries/{deliveryId}',
    operationId: 'getWebhookDelivery',
    summary: 'Get one delivery, with the body it sends (admins)',
    tag: 'Webhooks',
    pathParams: deliveryParams,
    adminOnly: true,
    success: { status: 200, description: 'The delivery', schema: deliveryWithPayloadSchema },
  }),
  retryWebhookDelivery: operation({
    routeKey: 'POST /v1/webhooks/{id}/deliveries/{deliveryId}/retry',
    operationId: 'retryWebhookDelivery',
    summary: 'Deliver one event again now, with a fresh retry schedule (admins)',
    tag: 'Webhooks',
    pathParams: deliveryParams,
    adminOnly: true,
    success: { status: 202, description: 'Queued', schema: deliverySchema },
  }),
  replayWebhook: operation({
    routeKey: 'POST /v1/webhooks/{id}/replay',
    operationId: 'replayWebhook',
    summary: 'Deliver again every event of a time range, at most 1,000 per request (admins)',
    description: 'Each keeps its `webhook-id` (the event id): receivers that already have it de-duplicate.',
    tag: 'Webhooks',
    pathParams: idParams,
    body: replayBody,
    bodyExample: { from: '2026-11-29T00:00:00Z', to: '2026-11-30T00:00:00Z' },
    adminOnly: true,
    success: { status: 202, description: 'Queued', schema: replayed },
  }),
};
