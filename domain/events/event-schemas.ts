import { emailMessageSchema } from '../email/email-message';
import { modelOf } from '../records/record-models';
import { enrollmentSchema } from '../sequences/sequence';
import { runSchema } from '../workflows/workflow-run';
import { webhookSchemas } from '../webhooks/webhook';
import * as z from '../shared/zod';
import { CRM_EVENT_SCHEMA_VERSION, CRM_EVENT_SOURCE, crmEventTypes, type CrmEventType, type EventSubjectType } from './crm-events';

/**
 * The published contract of each CRM event: the whole event as EventBridge delivers it to a
 * rule's target, `detail` typed by its subject. schemas/events/<type>.json holds these as
 * JSON Schema draft 4 (`npm run events:schemas` writes them, a test keeps them current), and
 * the stack puts the same documents in the stage's schema registry for code bindings.
 */

export function subjectTypeOf(type: CrmEventType): EventSubjectType {
  const prefix = type.slice(0, type.indexOf('.'));
  if (prefix === 'task') return 'activity';
  return prefix === 'workflow' ? 'workflowRun' : (prefix as EventSubjectType);
}

function subjectSchema(subject: EventSubjectType) {
  if (subject === 'email') return emailMessageSchema;
  if (subject === 'enrollment') return enrollmentSchema;
  if (subject === 'workflowRun') return runSchema;
  if (subject === 'webhook') return webhookSchemas().webhook;
  return modelOf(subject).recordSchema;
}

const descriptions: Record<string, string> = {
  created: 'A record was created.',
  updated: 'A record changed: `changes` has each changed field with its old and new value.',
  deleted: 'A record was deleted (its id and last version; no record).',
  merged: 'A record was merged into another, which took its fields, links, activities, history, emails and enrollments: `changes` names the survivor (`mergedInto`). No record; GET of its path redirects to the survivor.',
  'deal.stage_changed': 'A deal moved to another stage or pipeline; also raised with deal.updated.',
  'deal.won': 'A deal entered a won stage.',
  'deal.lost': 'A deal entered a lost stage.',
  'task.completed': 'A task activity was marked done.',
  'email.sent': 'The mail service accepted an email (raised before email.delivered when the report came first).',
  'email.delivered': "The recipient's mail server accepted an email.",
  'email.bounced': 'An email bounced; a permanent bounce suppresses the address.',
  'email.complained': 'The recipient marked an email as spam; the address is suppressed.',
  'email.replied': 'The contact replied to an email (an inbound message threaded to it; auto-replies do not count). Their sequences stop.',
  'email.deleted': 'An email was deleted with its contact (its id and last version; no record).',
  'enrollment.started': 'A contact started a run of a follow-up sequence.',
  'enrollment.stopped': 'A run of a follow-up sequence was stopped: `record.stopReason` says why.',
  'enrollment.completed': 'A run of a follow-up sequence sent its last step.',
  'workflow.run_failed': 'A workflow run failed: an action was refused (`record.error`, and the failed step in `record.steps`), or a step kept failing after its retries.',
  'webhook.disabled': 'The CRM disabled a webhook endpoint: every delivery to it failed for days. Its creator is emailed; enable it and replay what it missed.',
  'enrollment.failed': 'A run of a follow-up sequence gave up after its retries: `record.lastError` says why; enrolling again resumes it.',
};
export const describeEvent = (type: CrmEventType) => descriptions[type] ?? descriptions[type.slice(type.indexOf('.') + 1)]!;

const fieldChange = z.strictObject({ field: z.string(), from: z.unknown(), to: z.unknown() });

export function eventDetailSchema(type: CrmEventType) {
  const recordType = subjectTypeOf(type);
  return z.strictObject({
    schemaVersion: z.literal(CRM_EVENT_SCHEMA_VERSION),
    eventId: z.string().check(z.meta({ description: 'The same on every delivery of this event: de-duplicate on it.' })),
    type: z.literal(type),
    occurredAt: z.iso.datetime(),
    recordType: z.literal(recordType),
    recordId: z.string(),
    version: z.int().check(z.meta({ description: "The subject's version after the change (for a deletion, its last). Order a subject's events by it." })),
    path: z.string().check(z.meta({ description: "Where the API serves the subject, relative to the API's base URL." })),
    actor: z.strictObject({ type: z.enum(['user', 'client', 'system', 'workflow', 'import']), id: z.string(), onBehalfOf: z.optional(z.string()), depth: z.optional(z.int()) }),
    changedFields: z.array(z.string()),
    changes: z.optional(z.array(fieldChange)),
    record: z.optional(subjectSchema(recordType)),
    truncated: z.optional(z.literal(true).check(z.meta({ description: "record and changes were left out to keep the event within EventBridge's 256 KB: read `path`." }))),
  });
}

/** The event as a rule's target receives it. */
export function eventEnvelopeSchema(type: CrmEventType) {
  return z.object({
    version: z.string(),
    id: z.string().check(z.meta({ description: "EventBridge's id of this delivery; use detail.eventId to de-duplicate." })),
    'detail-type': z.literal(type),
    source: z.literal(CRM_EVENT_SOURCE),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: eventDetailSchema(type),
  });
}

/** The JSON Schema (draft 4, as EventBridge's schema registry takes it) of one event type. */
export function eventJsonSchema(type: CrmEventType): Record<string, unknown> {
  return { title: type, description: describeEvent(type), ...z.toJSONSchema(eventEnvelopeSchema(type), { target: 'draft-04', unrepresentable: 'any' }) };
}

export const publishedEventTypes = crmEventTypes;
