import { createHash } from 'node:crypto';
import type { CrmEventDetail } from '../events/crm-events';
import type { CoreDependencies } from '../shared/dependencies';
import { PreconditionFailedError } from '../shared/errors';
import { partitionQueries } from '../shared/key-design';
import { deliveriesOfWebhook, webhookDeliveryKey } from '../shared/keys';
import type { Item } from '../shared/table-port';
import { updateVersioned } from '../shared/versioned-update';
import * as z from '../shared/zod';
import type { DeliveryRef, EndpointResponse, WebhookDependencies } from './webhook-ports';
import { signingSecretsAt, wants, type Webhook } from './webhook';
import { storedValue } from '../shared/stored-item';

/**
 * Deliveries: one per event and endpoint, made at least once. Each is written before it is
 * queued (so a queued delivery always has its record, and a redelivered event finds it),
 * attempted from the queue, and retried with exponential backoff and jitter for more than
 * a day; then it is `failed`, and stays replayable until it expires.
 */

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

export interface DeliveryAttempt {
  readonly at: string;
  /** The endpoint's HTTP status, when it answered. */
  readonly responseStatus?: number;
  readonly error?: string;
  readonly latencyMs: number;
  /** The start of the endpoint's answer. */
  readonly responseBody?: string;
}

export interface WebhookDelivery {
  readonly webhookId: string;
  /** Sorts by the event's time: `<time, base 36><hash of the event id>`. */
  readonly id: string;
  /** The `webhook-id` header: the event's id, the same on every attempt and replay, for receivers to de-duplicate on. */
  readonly eventId: string;
  readonly eventType: string;
  readonly occurredAt: string;
  /** The request body, as signed and sent on every attempt. */
  readonly payload: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** The latest attempts, oldest first (at most MAX_LOGGED_ATTEMPTS). */
  readonly attemptLog: readonly DeliveryAttempt[];
  /** When the queue offers it again (pending, after a failed attempt). */
  readonly nextAttemptAt?: string;
  /** Why it was given up without more attempts: the endpoint was deleted or disabled. */
  readonly failureReason?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/**
 * The pause after failed attempt n (seconds): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, which
 * spans 27 h 35 min before the eighth and last attempt (Svix's schedule, which Standard
 * Webhooks' authors run). Each pause varies by ±20 % so endpoints coming back are not hit
 * by every retry at once. SQS holds a message invisible for up to 12 h: each pause fits.
 */
export const RETRY_PAUSES_SECONDS = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000] as const;
export const MAX_ATTEMPTS = RETRY_PAUSES_SECONDS.length + 1;
/** An endpoint whose every attempt failed for this long is disabled, and its creator told. */
export const DISABLE_AFTER_FAILING_MS = 5 * 24 * 3_600_000;
/** How long deliveries (and their payloads) stay listable and replayable after their last change (DynamoDB TTL). */
export const DELIVERY_RETENTION_DAYS = 30;
const MAX_LOGGED_ATTEMPTS = 10;

export const deliveryIdOf = (eventId: string, occurredAt: string): string =>
  `${Math.max(0, Date.parse(occurredAt) || 0).toString(36).padStart(9, '0')}${createHash('sha256').update(eventId).digest('hex').slice(0, 16)}`;
/** The smallest delivery id of events at `instant`: what a range of time covers. */
export const deliveryIdAt = (instant: string): string => Date.parse(instant).toString(36).padStart(9, '0');

/** The Standard Webhooks body: `type`, `timestamp` and the event as `data`. */
export const deliveryPayload = (detail: { readonly type: string; readonly occurredAt: string }): string => JSON.stringify({ type: detail.type, timestamp: detail.occurredAt, data: detail });

export const deliveryToItem = (delivery: WebhookDelivery): Item => ({
  ...webhookDeliveryKey(delivery.webhookId, delivery.id),
  entity: 'webhookDelivery',
  ...delivery,
  ...deliveriesOfWebhook.attributes({ webhookId: delivery.webhookId }, { deliveryId: delivery.id }),
  expiresAt: Math.floor(Date.parse(delivery.updatedAt) / 1000) + DELIVERY_RETENTION_DAYS * 86_400,
});

export const itemToDelivery = (item: Item): WebhookDelivery => storedValue<WebhookDelivery>(item);

export async function findDelivery(deps: Pick<CoreDependencies, 'table'>, webhookId: string, deliveryId: string): Promise<WebhookDelivery | undefined> {
  const item = await deps.table.getItem(webhookDeliveryKey(webhookId, deliveryId));
  return item ? itemToDelivery(item) : undefined;
}

const deliveryShape = {
  webhookId: z.string(),
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  occurredAt: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.int(),
  attemptLog: z.array(z.object({ at: z.string(), responseStatus: z.optional(z.int()), error: z.optional(z.string()), latencyMs: z.number(), responseBody: z.optional(z.string()) })),
  nextAttemptAt: z.optional(z.string()),
  failureReason: z.optional(z.string()),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.int(),
};
export const deliverySchema = z.object(deliveryShape).check(z.meta({ id: 'WebhookDelivery', description: 'One event to one endpoint: its attempts (the latest 10), and what became of it.' }));
export const deliveryWithPayloadSchema = z
  .object({ ...deliveryShape, payload: z.string().check(z.meta({ description: 'The request body, as signed and sent.' })) })
  .check(z.meta({ id: 'WebhookDeliveryWithPayload' }));

/** What the API lists: everything but the payload. */
export const deliverySummary = ({ payload: _payload, ...summary }: WebhookDelivery) => summary;

/**
 * Writes the deliveries of one event to the endpoints that want it, and answers them to be
 * queued. A redelivered event finds its deliveries written: it answers the pending ones
 * again (the queueing may be what failed), which an attempt that finds them done skips.
 */
export async function deliveriesForEvent(deps: CoreDependencies, detail: CrmEventDetail, endpoints: readonly Webhook[]): Promise<DeliveryRef[]> {
  const now = deps.clock.now().toISOString();
  const payload = deliveryPayload(detail);
  const refs: DeliveryRef[] = [];
  for (const webhook of endpoints.filter((endpoint) => wants(endpoint, detail))) {
    const pending = newDelivery(webhook.id, detail.eventId, detail.type, detail.occurredAt, payload, now);
    // A disabled endpoint's delivery is recorded, not sent: replaying the time it was off sends it.
    const delivery: WebhookDelivery = webhook.enabled ? pending : { ...pending, status: 'failed', failureReason: DISABLED_REASON };
    try {
      await deps.table.transactWrite([{ op: 'put', item: deliveryToItem(delivery), condition: { kind: 'absent' }, onConditionFailed: () => new PreconditionFailedError() }]);
    } catch (error) {
      if (!(error instanceof PreconditionFailedError)) throw error;
      const existing = await findDelivery(deps, webhook.id, delivery.id);
      if (existing?.status !== 'pending') continue;
    }
    if (webhook.enabled) refs.push({ webhookId: webhook.id, deliveryId: delivery.id });
  }
  return refs;
}

/** Why a delivery was recorded without an attempt. */
export const DISABLED_REASON = 'the endpoint is disabled: enable it, then replay';

export const newDelivery = (webhookId: string, eventId: string, eventType: string, occurredAt: string, payload: string, now: string): WebhookDelivery => ({
  webhookId,
  id: deliveryIdOf(eventId, occurredAt),
  eventId,
  eventType,
  occurredAt,
  payload,
  status: 'pending',
  attempts: 0,
  attemptLog: [],
  createdAt: now,
  updatedAt: now,
  version: 1,
});

/** The pause before the next attempt, with its jitter (`random` in [0, 1)). */
export const retryPauseSeconds = (attemptsMade: number, random: number): number => {
  const base = RETRY_PAUSES_SECONDS[Math.min(attemptsMade, RETRY_PAUSES_SECONDS.length) - 1] ?? RETRY_PAUSES_SECONDS[0];
  return Math.max(1, Math.round(base * (0.8 + 0.4 * random)));
};

/** The Standard Webhooks headers of one attempt: the same id every time, a fresh timestamp and signature. */
export function signedHeaders(deps: Pick<WebhookDependencies, 'webhookSigning'>, secrets: readonly string[], messageId: string, at: Date, body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'user-agent': 'serverless-crm-webhooks/1.0',
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': deps.webhookSigning.signature(secrets, messageId, at, body),
  };
}

export type AttemptOutcome =
  | { readonly outcome: 'done'; readonly delivery?: WebhookDelivery }
  /** Failed; offer it again after this pause. */
  | { readonly outcome: 'retry'; readonly pauseSeconds: number; readonly delivery: WebhookDelivery };

export interface AttemptDependencies extends CoreDependencies, Pick<WebhookDependencies, 'webhookTransport' | 'webhookSigning'> {
  /** Where the endpoint's state is read and its health recorded (webhooks.ts). */
  readonly endpoints: {
    find(id: string): Promise<Webhook | undefined>;
    recordHealth(webhook: Webhook, response: EndpointResponse): Promise<void>;
  };
  readonly random: () => number;
}

/**
 * One attempt of a queued delivery: POST it, signed with the endpoint's current secrets, and
 * record what came of it. A delivery already made (a duplicate queue message), or whose
 * endpoint is gone or off, is not sent.
 */
export async function attemptDelivery(deps: AttemptDependencies, ref: DeliveryRef): Promise<AttemptOutcome> {
  const delivery = await findDelivery(deps, ref.webhookId, ref.deliveryId);
  if (!delivery || delivery.status !== 'pending') return { outcome: 'done', ...(delivery ? { delivery } : {}) };
  const webhook = await deps.endpoints.find(ref.webhookId);
  if (!webhook || !webhook.enabled) {
    const reason = webhook ? DISABLED_REASON : 'the endpoint was deleted';
    const given = await settle(deps, delivery, (current) => ({ status: 'failed', failureReason: reason, nextAttemptAt: undefined }));
    return { outcome: 'done', ...(given ? { delivery: given } : {}) };
  }
  const response = await post(deps, webhook, delivery);
  const attempt = attemptOf(deps.clock.now(), response);
  let pauseSeconds = 0;
  const recorded = await settle(deps, delivery, (current) => {
    const attempts = current.attempts + 1;
    const attemptLog = [...current.attemptLog, attempt].slice(-MAX_LOGGED_ATTEMPTS);
    if (response.ok) return { status: 'succeeded', attempts, attemptLog, nextAttemptAt: undefined };
    if (attempts >= MAX_ATTEMPTS) return { status: 'failed', attempts, attemptLog, nextAttemptAt: undefined };
    pauseSeconds = retryPauseSeconds(attempts, deps.random());
    return { attempts, attemptLog, nextAttemptAt: new Date(deps.clock.now().getTime() + pauseSeconds * 1000).toISOString() };
  });
  await deps.endpoints.recordHealth(webhook, response);
  if (!recorded) return { outcome: 'done' };
  return recorded.status === 'pending' ? { outcome: 'retry', pauseSeconds, delivery: recorded } : { outcome: 'done', delivery: recorded };
}

/** What the delivery log keeps of one attempt. */
export const attemptOf = (at: Date, response: EndpointResponse): DeliveryAttempt => ({
  at: at.toISOString(),
  ...(response.status !== undefined ? { responseStatus: response.status } : {}),
  ...(response.ok || !response.error ? {} : { error: response.error }),
  latencyMs: response.latencyMs,
  ...(response.body ? { responseBody: response.body } : {}),
});

/** The POST of one attempt. */
export function post(deps: Pick<AttemptDependencies, 'clock' | 'webhookTransport' | 'webhookSigning'>, webhook: Webhook, delivery: Pick<WebhookDelivery, 'eventId' | 'payload'>): Promise<EndpointResponse> {
  const now = deps.clock.now();
  return deps.webhookTransport.post(webhook.url, signedHeaders(deps, signingSecretsAt(webhook, now), delivery.eventId, now, delivery.payload), delivery.payload);
}

/** Changes a delivery under optimistic locking; a field set to `undefined` is removed (the table client drops undefined values). */
export const settle = (deps: CoreDependencies, known: WebhookDelivery, change: (current: WebhookDelivery) => Partial<Record<keyof WebhookDelivery, unknown>> | undefined) =>
  updateVersioned<WebhookDelivery>(deps, {
    resource: 'webhook delivery',
    id: known.id,
    known,
    read: () => findDelivery(deps, known.webhookId, known.id),
    toItem: deliveryToItem,
    change: (current) => change(current) as Partial<WebhookDelivery> | undefined,
  });

/** Every delivery of an endpoint whose event happened in [from, to], for a replay (at most `max`; one more means there are more). */
export async function deliveriesBetween(deps: Pick<CoreDependencies, 'table'>, webhookId: string, from: string, to: string, max: number): Promise<WebhookDelivery[]> {
  const found: WebhookDelivery[] = [];
  for (const query of partitionQueries(deliveriesOfWebhook.query({ webhookId }, { from: deliveryIdAt(from), to: deliveryIdAt(to) }))) {
    let startKey: Record<string, string> | undefined;
    do {
      const page = await deps.table.query(query, { limit: 100, ...(startKey ? { startKey } : {}) });
      found.push(...page.items.map(itemToDelivery).filter((delivery) => delivery.occurredAt >= from && delivery.occurredAt <= to));
      startKey = page.lastKey;
      if (found.length > max) return found;
    } while (startKey);
  }
  return found;
}
