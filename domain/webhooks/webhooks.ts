import { requireCapability } from '../access/permissions';
import { auditedDocuments } from '../audit/audited-documents';
import type { EmailSender } from '../email/email-sender';
import { findOwner } from '../owners/owners';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import { NotFoundError, ValidationError } from '../shared/errors';
import { partitionQueries } from '../shared/key-design';
import { recordKeys, recordsByType, deliveriesOfWebhook } from '../shared/keys';
import type { IfMatch } from '../shared/optimistic-retry';
import type { Page, PageRequest } from '../shared/page';
import { forEachQueryPage, listPage } from '../shared/pagination';
import type { Item } from '../shared/table-port';
import { updateVersioned } from '../shared/versioned-update';
import {
  attemptOf,
  DISABLE_AFTER_FAILING_MS,
  deliveriesBetween,
  deliveryPayload,
  deliverySummary,
  deliveryToItem,
  findDelivery,
  itemToDelivery,
  newDelivery,
  post,
  settle,
  type AttemptDependencies,
  type WebhookDelivery,
} from './webhook-deliveries';
import type { EndpointResponse, WebhookDependencies } from './webhook-ports';
import { DEFAULT_ROTATION_OVERLAP_HOURS, WEBHOOK_TEST_EVENT, itemToWebhook, webhookView, type Webhook, type WebhookCreate, type WebhookUpdate, type WebhookView } from './webhook';

/**
 * Webhook endpoints (`/v1/webhooks`), admins only: they send the CRM's data to another
 * system. Created, changed and deleted with an audit entry (never with the secret in it).
 */

export type WebhookUseCaseDependencies = CoreDependencies & WebhookDependencies;

export const webhookToItem = (webhook: Webhook): Item => ({
  ...recordKeys.record('webhook', webhook.id),
  entity: 'webhook',
  ...webhook,
  ...recordsByType.attributes({ type: 'webhook' }, { at: webhook.createdAt, id: webhook.id }),
});


const webhookDocuments = auditedDocuments<Webhook>({
  resource: 'webhook',
  auditedAs: 'webhook',
  key: (id) => recordKeys.record('webhook', id),
  list: () => recordsByType.query({ type: 'webhook' }),
  toItem: webhookToItem,
  fromItem: itemToWebhook,
  audited: ['url', 'eventTypes', 'recordTypes', 'description', 'enabled', 'secretsRotatedAt'],
});

export const findWebhook = (deps: Pick<CoreDependencies, 'table'>, id: string) => webhookDocuments.find(deps.table, id);

/** Endpoints receive the CRM's data: only admins see, add or change them. */
const ADMIN = 'manageSchema' as const;
const { remove } = webhookDocuments.useCases(ADMIN);
export const deleteWebhook = remove;

export async function getWebhook(deps: Pick<CoreDependencies, 'table'>, id: string, actor: Actor): Promise<WebhookView> {
  requireCapability(actor, ADMIN, 'read webhooks');
  return webhookView(await webhookDocuments.require(deps, id));
}

export async function listWebhooks(deps: Pick<CoreDependencies, 'table'>, page: PageRequest, actor: Actor): Promise<Page<WebhookView>> {
  requireCapability(actor, ADMIN, 'list webhooks');
  const found = await webhookDocuments.list(deps, page);
  return { ...found, items: found.items.map(webhookView) };
}

/** Every endpoint, for the fan-out of events (a deployment has tens, in one partition). */
export async function allWebhooks(deps: Pick<CoreDependencies, 'table'>): Promise<Webhook[]> {
  const found: Webhook[] = [];
  for (const query of partitionQueries(recordsByType.query({ type: 'webhook' }))) await forEachQueryPage(deps.table, query, 100, (items) => void found.push(...items.map(itemToWebhook)));
  return found;
}

async function requireDeliverable(deps: Pick<WebhookDependencies, 'webhookTransport'>, url: string): Promise<void> {
  const refusal = await deps.webhookTransport.refusal(url);
  if (refusal) throw new ValidationError(`The CRM will not deliver to ${url}: ${refusal}.`, [{ field: 'body.url', message: refusal }]);
}

export async function createWebhook(deps: WebhookUseCaseDependencies, input: WebhookCreate, actor: Actor): Promise<WebhookView & { readonly secret: string }> {
  requireCapability(actor, ADMIN, 'create webhooks');
  await requireDeliverable(deps, input.url);
  const now = deps.clock.now().toISOString();
  const webhook: Webhook = {
    id: deps.ids.next(),
    url: input.url,
    eventTypes: input.eventTypes,
    ...(input.recordTypes ? { recordTypes: input.recordTypes } : {}),
    ...(input.description ? { description: input.description } : {}),
    enabled: input.enabled ?? true,
    secrets: [{ secret: deps.webhookSigning.newSecret(), createdAt: now }],
    createdBy: actor.id,
    createdAt: now,
    updatedAt: now,
    version: 1,
  };
  // Written again with the same id (a retry the Idempotency-Key layer did not answer), the first one's endpoint and secret are the answer.
  const stored = await webhookDocuments.create(deps, webhook, actor);
  return { ...webhookView(stored), secret: stored.secrets[0]!.secret };
}

export async function updateWebhook(deps: WebhookUseCaseDependencies, id: string, patch: WebhookUpdate, actor: Actor, ifMatch?: IfMatch): Promise<WebhookView> {
  requireCapability(actor, ADMIN, 'change webhooks');
  if (Object.keys(patch).length === 0) throw new ValidationError('Send at least one field to change.', [{ field: 'body', message: 'no fields to change' }]);
  if (patch.url) await requireDeliverable(deps, patch.url);
  const updated = await webhookDocuments.update(deps, id, actor, ifMatch, (current) => {
    const { recordTypes: _recordTypes, description: _description, disabledReason: _disabledReason, failingSince: _failingSince, ...kept } = current;
    const recordTypes = patch.recordTypes === null ? undefined : (patch.recordTypes ?? current.recordTypes);
    const description = patch.description === null ? undefined : (patch.description ?? current.description);
    const enabled = patch.enabled ?? current.enabled;
    // Turned on again by an admin: it starts healthy.
    const health = enabled && !current.enabled ? {} : { ...(current.disabledReason ? { disabledReason: current.disabledReason } : {}), ...(current.failingSince ? { failingSince: current.failingSince } : {}) };
    return { ...kept, url: patch.url ?? current.url, eventTypes: patch.eventTypes ?? current.eventTypes, ...(recordTypes ? { recordTypes } : {}), ...(description ? { description } : {}), enabled, ...health };
  });
  return webhookView(updated);
}

/**
 * A new signing secret, shown once. The ones before it keep signing for `overlapHours`
 * (each delivery then carries a signature per secret), so receivers switch without a gap.
 */
export async function rotateWebhookSecret(deps: WebhookUseCaseDependencies, id: string, overlapHours: number | undefined, actor: Actor): Promise<WebhookView & { readonly secret: string }> {
  requireCapability(actor, ADMIN, 'rotate webhook secrets');
  const now = deps.clock.now();
  const secret = deps.webhookSigning.newSecret();
  const until = new Date(now.getTime() + (overlapHours ?? DEFAULT_ROTATION_OVERLAP_HOURS) * 3_600_000).toISOString();
  const updated = await webhookDocuments.update(deps, id, actor, undefined, (current) => ({
    ...current,
    secretsRotatedAt: now.toISOString(),
    secrets: [
      { secret, createdAt: now.toISOString() },
      ...current.secrets
        .filter((old) => !old.expiresAt || Date.parse(old.expiresAt) > now.getTime())
        .map((old) => ({ ...old, expiresAt: old.expiresAt && old.expiresAt < until ? old.expiresAt : until }))
        .filter((old) => Date.parse(old.expiresAt) > now.getTime()),
    ],
  }));
  return { ...webhookView(updated), secret };
}

/** Sends a signed `webhook.test` event to the endpoint now, and answers what came of it (kept with its deliveries). */
export async function testWebhook(deps: WebhookUseCaseDependencies, id: string, actor: Actor): Promise<Omit<WebhookDelivery, 'payload'>> {
  requireCapability(actor, ADMIN, 'test webhooks');
  const webhook = await webhookDocuments.require(deps, id);
  const now = deps.clock.now().toISOString();
  const eventId = `${WEBHOOK_TEST_EVENT}/${webhook.id}/${deps.ids.next()}`;
  const ping = { type: WEBHOOK_TEST_EVENT, occurredAt: now, eventId, webhookId: webhook.id, actor: { type: actor.type, id: actor.id } };
  const payload = deliveryPayload(ping);
  const pending = newDelivery(webhook.id, eventId, WEBHOOK_TEST_EVENT, now, payload, now);
  const response = await post(deps, webhook, pending);
  const attempt = attemptOf(deps.clock.now(), response);
  // A ping is not retried: its answer is the point.
  const delivery: WebhookDelivery = { ...pending, status: response.ok ? 'succeeded' : 'failed', attempts: 1, attemptLog: [attempt] };
  await deps.table.putItems([deliveryToItem(delivery)]);
  return deliverySummary(delivery);
}

export async function listWebhookDeliveries(deps: Pick<CoreDependencies, 'table'>, id: string, page: PageRequest, actor: Actor): Promise<Page<Omit<WebhookDelivery, 'payload'>>> {
  requireCapability(actor, ADMIN, 'list webhook deliveries');
  await webhookDocuments.require(deps, id);
  return listPage(deps.table, deliveriesOfWebhook.query({ webhookId: id }), page, (item) => deliverySummary(itemToDelivery(item)));
}

export async function getWebhookDelivery(deps: Pick<CoreDependencies, 'table'>, id: string, deliveryId: string, actor: Actor): Promise<WebhookDelivery> {
  requireCapability(actor, ADMIN, 'read webhook deliveries');
  const delivery = await findDelivery(deps, id, deliveryId);
  if (!delivery) throw new NotFoundError('webhook delivery', deliveryId);
  return delivery;
}

/** Queued again from its first attempt's pause on (a fresh schedule), whatever became of it. */
async function requeue(deps: WebhookUseCaseDependencies, deliveries: readonly WebhookDelivery[]): Promise<void> {
  for (const delivery of deliveries) await settle(deps, delivery, () => ({ status: 'pending', attempts: 0, nextAttemptAt: undefined, failureReason: undefined }));
  await deps.deliveryQueue.enqueue(deliveries.map((delivery) => ({ webhookId: delivery.webhookId, deliveryId: delivery.id })));
}

async function requireEnabled(deps: Pick<CoreDependencies, 'table'>, id: string): Promise<Webhook> {
  const webhook = await webhookDocuments.require(deps, id);
  if (!webhook.enabled) throw new ValidationError(`Webhook ${id} is disabled: enable it first (PATCH with enabled: true).`, [{ field: 'path.id', message: 'the endpoint is disabled' }]);
  return webhook;
}

export async function retryWebhookDelivery(deps: WebhookUseCaseDependencies, id: string, deliveryId: string, actor: Actor): Promise<Omit<WebhookDelivery, 'payload'>> {
  requireCapability(actor, ADMIN, 'retry webhook deliveries');
  await requireEnabled(deps, id);
  const delivery = await getWebhookDelivery(deps, id, deliveryId, actor);
  await requeue(deps, [delivery]);
  return deliverySummary((await findDelivery(deps, id, deliveryId)) ?? delivery);
}

/** How many deliveries one replay queues; a wider range is refused (replay it in parts). */
export const MAX_REPLAY = 1_000;

/** Delivers again every event the endpoint was sent (or was to be sent) that happened in [from, to]. */
export async function replayWebhook(deps: WebhookUseCaseDependencies, id: string, range: { readonly from: string; readonly to: string }, actor: Actor): Promise<{ readonly queued: number }> {
  requireCapability(actor, ADMIN, 'replay webhooks');
  if (range.from > range.to) throw new ValidationError('from must not be after to.', [{ field: 'body.from', message: 'after to' }]);
  await requireEnabled(deps, id);
  const deliveries = await deliveriesBetween(deps, id, range.from, range.to, MAX_REPLAY);
  if (deliveries.length > MAX_REPLAY) {
    throw new ValidationError(`More than ${MAX_REPLAY} deliveries fall in this range: replay it in shorter parts.`, [{ field: 'body.to', message: `at most ${MAX_REPLAY} deliveries per replay` }]);
  }
  await requeue(deps, deliveries);
  return { queued: deliveries.length };
}

/**
 * What one attempt says about its endpoint: a success ends a failing streak; a failure
 * starts one, and one that has lasted DISABLE_AFTER_FAILING_MS disables the endpoint (its
 * `webhook.disabled` event is raised from the change) and emails whoever created it.
 * Written only when the state changes: a failing endpoint costs no write per attempt.
 */
export async function recordEndpointHealth(deps: CoreDependencies & { readonly emailSender?: EmailSender }, webhook: Webhook, response: EndpointResponse): Promise<void> {
  const now = deps.clock.now();
  if (response.ok && !webhook.failingSince) return;
  const failingFor = webhook.failingSince ? now.getTime() - Date.parse(webhook.failingSince) : 0;
  if (!response.ok && webhook.failingSince && (failingFor < DISABLE_AFTER_FAILING_MS || !webhook.enabled)) return;
  if (response.ok || !webhook.failingSince) {
    // Health is bookkeeping, not a setting: no audit entry for a streak starting or ending.
    await updateVersioned(deps, {
      resource: 'webhook',
      id: webhook.id,
      read: () => findWebhook(deps, webhook.id),
      toItem: webhookToItem,
      change: (current) => (response.ok ? (current.failingSince ? { failingSince: undefined } : undefined) : current.failingSince ? undefined : { failingSince: now.toISOString() }),
    });
    return;
  }
  // Turning it off is: the audit log says the delivery system disabled it.
  const system: Actor = { type: 'system', id: 'webhook-delivery', role: 'admin' };
  let disabled: Webhook | undefined;
  await webhookDocuments.update(deps, webhook.id, system, undefined, (current) => {
    if (!current.enabled || !current.failingSince || now.getTime() - Date.parse(current.failingSince) < DISABLE_AFTER_FAILING_MS) return current;
    disabled = { ...current, enabled: false, disabledReason: 'failing' };
    return disabled;
  });
  if (disabled && deps.emailSender) await tellCreator(deps as CoreDependencies & { emailSender: EmailSender }, disabled);
}

async function tellCreator(deps: CoreDependencies & { readonly emailSender: EmailSender }, webhook: Webhook): Promise<void> {
  const owner = await findOwner(deps.table, webhook.createdBy);
  if (!owner?.email) return;
  const days = Math.round(DISABLE_AFTER_FAILING_MS / 86_400_000);
  await deps.emailSender.send({
    to: owner.email,
    subject: `Webhook disabled: ${webhook.url}`,
    text: [
      `Every delivery to ${webhook.url} has failed since ${webhook.failingSince} (more than ${days} days), so the CRM disabled webhook ${webhook.id}.`,
      '',
      `Its failed deliveries are listed at GET /v1/webhooks/${webhook.id}/deliveries. Once the endpoint answers again, enable it (PATCH /v1/webhooks/${webhook.id} with {"enabled": true}) and replay what it missed (POST /v1/webhooks/${webhook.id}/replay).`,
    ].join('\n'),
    messageId: `webhook-disabled-${webhook.id}-${webhook.version + 1}`,
  });
}

/** What attemptDelivery needs of endpoints, from the table. */
export const endpointsOf = (deps: CoreDependencies & { readonly emailSender?: EmailSender }): AttemptDependencies['endpoints'] => ({
  find: (id) => findWebhook(deps, id),
  recordHealth: (webhook, response) => recordEndpointHealth(deps, webhook, response),
});
