import { crmEventTypes, type CrmEventDetail, type EventSubjectType } from '../events/crm-events';
import { once } from '../shared/built-on-first-use';
import { shortText } from '../shared/common-fields';
import * as z from '../shared/zod';
import { storedValue } from '../shared/stored-item';

/**
 * An outbound webhook endpoint (`/v1/webhooks`): where the CRM POSTs the record events an
 * integrator subscribed to, signed as the Standard Webhooks specification says
 * (docs/integrations.md), so receivers verify with the `standardwebhooks` library.
 */

/** One signing key. The newest signs alone once the older ones expire (a rotation's overlap). */
export interface SigningSecret {
  /** `whsec_` and the base64 key, as the Standard Webhooks libraries take it. */
  readonly secret: string;
  readonly createdAt: string;
  /** Set on a rotated-out secret: it signs alongside the new one until then. */
  readonly expiresAt?: string;
}

export interface Webhook {
  readonly id: string;
  readonly url: string;
  /** Event types (`deal.won`), a subject's every type (`deal.*`), or `*`. */
  readonly eventTypes: readonly string[];
  /** Only events about these subjects; every subject when absent. */
  readonly recordTypes?: readonly EventSubjectType[];
  readonly description?: string;
  readonly enabled: boolean;
  /** Why it is off when the CRM turned it off: `failing` (every delivery failed for days). */
  readonly disabledReason?: 'failing';
  /** Since when every delivery attempt has failed; cleared by the next success. */
  readonly failingSince?: string;
  readonly secrets: readonly SigningSecret[];
  /** When a secret was last rotated: what the audit log shows of a rotation (never a secret). */
  readonly secretsRotatedAt?: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** What the API shows of an endpoint: never its secrets, only when each was made and expires. */
export type WebhookView = Omit<Webhook, 'secrets'> & { readonly signingSecrets: readonly Omit<SigningSecret, 'secret'>[] };

export const subjectTypes = ['contact', 'company', 'deal', 'activity', 'email', 'enrollment', 'workflowRun', 'webhook'] as const;

/** The test ping (`POST /v1/webhooks/{id}/test`): delivered to that endpoint alone, whatever it subscribes to. */
export const WEBHOOK_TEST_EVENT = 'webhook.test';

/** The prefixes (`deal` of `deal.won`) that have events, for `<prefix>.*`. */
const eventPrefixes = once(() => new Set(crmEventTypes.map((type) => type.slice(0, type.indexOf('.')))));

function eventTypeIssue(pattern: string): string | undefined {
  if (pattern === '*' || (crmEventTypes as readonly string[]).includes(pattern)) return undefined;
  if (pattern.endsWith('.*') && eventPrefixes().has(pattern.slice(0, -2))) return undefined;
  return `not an event type (docs/events.md), a prefix with .* (${[...eventPrefixes()].map((prefix) => `${prefix}.*`).join(', ')}), or *`;
}

/** Whether a subscription pattern covers the event type. */
export const patternCovers = (pattern: string, type: string) => pattern === '*' || pattern === type || (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1)));

/**
 * Whether the endpoint subscribes to the event: one of its types, one of its subjects, and
 * not from before it existed (a stream read again, a late retry). Disabled or not: a disabled
 * endpoint's deliveries are recorded as failed, to be replayed once it is enabled again.
 */
export function wants(webhook: Webhook, detail: Pick<CrmEventDetail, 'type' | 'recordType' | 'occurredAt'>): boolean {
  if (detail.occurredAt < webhook.createdAt) return false;
  if (webhook.recordTypes && !webhook.recordTypes.includes(detail.recordType)) return false;
  return webhook.eventTypes.some((pattern) => patternCovers(pattern, detail.type));
}

/** Longer than any real endpoint; keeps the item and the delivery log small. */
const MAX_URL_LENGTH = 2_048;

const webhookUrl = z.string().check(
  z.trim(),
  z.maxLength(MAX_URL_LENGTH),
  z.refine((value) => URL.canParse(value), 'an absolute URL'),
  z.refine((value) => !URL.canParse(value) || ['https:', 'http:'].includes(new URL(value).protocol), 'https (http only to localhost in the local runtime)'),
  z.refine((value) => !URL.canParse(value) || (new URL(value).username === '' && new URL(value).password === ''), 'no user or password in the URL: receivers verify the signature instead'),
  z.meta({ description: 'Where deliveries are POSTed. https, to a public address (checked again at every delivery, after DNS).', example: 'https://billing.example.com/crm-events' }),
);
const eventTypesField = z.pipe(
  z.array(z.string().check(z.superRefine((value, context) => {
    const issue = eventTypeIssue(value);
    if (issue) context.addIssue({ code: 'custom', input: value, message: issue });
  }))).check(z.minLength(1), z.maxLength(50)),
  z.transform((values) => [...new Set(values)]),
).check(z.meta({ description: 'Event types to deliver (docs/events.md): `deal.won`, `deal.*`, or `*` for all.', example: ['deal.*', 'contact.created'] }));
const recordTypesField = z.pipe(z.array(z.enum(subjectTypes)).check(z.minLength(1)), z.transform((values) => [...new Set(values)])).check(
  z.meta({ description: "Only events whose subject (`detail.recordType`) is one of these." }),
);

/** How long a rotated-out secret keeps signing: a day by default, at most a week. */
export const DEFAULT_ROTATION_OVERLAP_HOURS = 24;

export const webhookSchemas = once(() => {
  const signingSecret = z.object({ createdAt: z.string(), expiresAt: z.optional(z.string()) });
  const view = {
    id: z.string(),
    url: z.string(),
    eventTypes: z.array(z.string()),
    recordTypes: z.optional(z.array(z.enum(subjectTypes))),
    description: z.optional(z.string()),
    enabled: z.boolean(),
    disabledReason: z.optional(z.literal('failing')),
    failingSince: z.optional(z.string()),
    secretsRotatedAt: z.optional(z.string()),
    signingSecrets: z.array(signingSecret).check(z.meta({ description: 'When each signing secret was made, and when a rotated-out one stops signing. The secrets themselves are shown once, when made.' })),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    version: z.int(),
  };
  // Absent from the answer to a repeated Idempotency-Key (which shows the endpoint as it is now): rotate it if the first answer was lost.
  const secretField = z.optional(
    z.string().check(z.meta({ description: 'The signing secret (`whsec_…`). Shown this once: store it where the receiver verifies signatures. A repeated Idempotency-Key answers without it: rotate the secret if the first answer was lost.' })),
  );
  return {
    create: z
      .strictObject({ url: webhookUrl, eventTypes: eventTypesField, recordTypes: z.optional(recordTypesField), description: z.optional(shortText(500)), enabled: z.optional(z.boolean()) })
      .check(z.meta({ id: 'WebhookCreate' })),
    update: z
      .strictObject({ url: z.optional(webhookUrl), eventTypes: z.optional(eventTypesField), recordTypes: z.optional(z.nullable(recordTypesField)), description: z.optional(z.nullable(shortText(500))), enabled: z.optional(z.boolean()) })
      .check(z.meta({ id: 'WebhookUpdate', description: 'null clears recordTypes or description. Enabling a disabled endpoint clears why it was disabled.' })),
    rotate: z
      .strictObject({
        overlapHours: z.optional(z.int().check(z.gte(0), z.lte(168), z.meta({ description: `How long the current secret keeps signing beside the new one (default ${DEFAULT_ROTATION_OVERLAP_HOURS}).` }))),
      })
      .check(z.meta({ id: 'WebhookSecretRotation' })),
    webhook: z.object(view).check(z.meta({ id: 'Webhook' })),
    withSecret: z.object({ ...view, secret: secretField }).check(z.meta({ id: 'WebhookWithSecret' })),
  };
});
export type WebhookCreate = z.infer<ReturnType<typeof webhookSchemas>['create']>;
export type WebhookUpdate = z.infer<ReturnType<typeof webhookSchemas>['update']>;

/** The secrets that sign at `now`: the newest, and rotated-out ones still in their overlap. */
export const signingSecretsAt = (webhook: Webhook, now: Date): string[] =>
  webhook.secrets.filter((secret) => !secret.expiresAt || Date.parse(secret.expiresAt) > now.getTime()).map((secret) => secret.secret);

export function webhookView(webhook: Webhook): WebhookView {
  const { secrets, ...rest } = webhook;
  return { ...rest, signingSecrets: secrets.map(({ createdAt, expiresAt }) => ({ createdAt, ...(expiresAt ? { expiresAt } : {}) })) };
}

export const itemToWebhook = (item: Record<string, unknown>): Webhook => storedValue<Webhook>(item);
