import { itemToEmailMessage } from '../email/email-message-items';
import type { EmailMessage, EmailStatus } from '../email/email-message';
import type { FieldChange } from '../records/field-changes';
import { recordChangeOf, type RecordChange } from '../records/record-change';
import { collectionOf, type RecordType } from '../records/record-model';
import type { Enrollment } from '../sequences/sequence';
import { itemToEnrollment } from '../sequences/sequence-items';
import { itemToRun, type WorkflowRun } from '../workflows/workflow-run';
import type { TableChange } from '../shared/table-change';
import { itemToWebhook, webhookView, type Webhook } from '../webhooks/webhook';

/**
 * What the CRM tells the world: one event per committed change, built from the table's
 * stream (so a write and its event cannot diverge), published on the stage's own bus by
 * one publisher (functions/event-publisher.ts). docs/events.md lists them with examples;
 * schemas/events/ holds their JSON Schemas, which the stack also puts in a schema registry.
 */

/** EventBridge's `source` of every CRM event. */
export const CRM_EVENT_SOURCE = 'crm';
/** Raised when a detail changes incompatibly; fields are added without raising it. */
export const CRM_EVENT_SCHEMA_VERSION = 1;

const recordEventTypes = ['contact', 'company', 'deal', 'activity'].flatMap((type) =>
  ['created', 'updated', 'deleted'].map((event) => `${type}.${event}`),
) as `${RecordType}.${RecordChange['event']}`[];

export const crmEventTypes = [
  ...recordEventTypes,
  'contact.merged',
  'company.merged',
  'deal.stage_changed',
  'deal.won',
  'deal.lost',
  'task.completed',
  'email.sent',
  'email.delivered',
  'email.bounced',
  'email.complained',
  'email.replied',
  'email.deleted',
  'enrollment.started',
  'enrollment.stopped',
  'enrollment.completed',
  'enrollment.failed',
  'workflow.run_failed',
  'webhook.disabled',
] as const;
export type CrmEventType = (typeof crmEventTypes)[number];

/** What an event is about: a record, a sent email, a contact's enrollment in a sequence. */
export type EventSubjectType = RecordType | 'email' | 'enrollment' | 'workflowRun' | 'webhook';

export interface EventActor {
  /** `system`: the CRM itself (a cascade, a schema follow-up, a sequence run, the mail service's report); `import`: a CSV import, its id. */
  readonly type: 'user' | 'client' | 'system' | 'workflow' | 'import';
  readonly id: string;
  /** For system, workflow and import changes: the user or client whose action caused them. */
  readonly onBehalfOf?: string;
  /** For a workflow's changes: how many workflow runs in a row led to it (docs/automation.md). */
  readonly depth?: number;
}

/** The `detail` of every CRM event. */
export interface CrmEventDetail {
  readonly schemaVersion: typeof CRM_EVENT_SCHEMA_VERSION;
  /** The same for every delivery of the same event: consumers de-duplicate on it. */
  readonly eventId: string;
  readonly type: CrmEventType;
  readonly occurredAt: string;
  readonly recordType: EventSubjectType;
  readonly recordId: string;
  /** The subject's version after the change (for a deletion, its last): order a record's events by it. */
  readonly version: number;
  /** Where the API serves the subject, relative to the API's base URL. */
  readonly path: string;
  readonly actor: EventActor;
  /** The fields the change touched, always present. */
  readonly changedFields: readonly string[];
  /** Old and new value of each changed field; left out of an oversized event (see `truncated`). */
  readonly changes?: readonly FieldChange[];
  /** The subject after the change; absent for deletions and from an oversized event. */
  readonly record?: Record<string, unknown>;
  /** Set when `record` and `changes` were left out to keep the event within EventBridge's 256 KB: read `path` instead. */
  readonly truncated?: true;
}

/** One entry of EventBridge's PutEvents. */
export interface CrmEvent {
  readonly source: typeof CRM_EVENT_SOURCE;
  readonly detailType: CrmEventType;
  readonly time: string;
  readonly detail: CrmEventDetail;
}

/**
 * EventBridge's limit on one entry, and on one PutEvents request: the sum of the UTF-8
 * sizes of Source, DetailType, Detail and Resources, plus 14 bytes when Time is set
 * (AWS's "Calculating Amazon EventBridge PutEvents event entry size").
 */
export const MAX_ENTRY_BYTES = 256 * 1024;
export const MAX_ENTRIES_PER_REQUEST = 10;
const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');
export const entrySize = (event: CrmEvent): number => 14 + utf8Bytes(event.source) + utf8Bytes(event.detailType) + utf8Bytes(JSON.stringify(event.detail));

/** Changes without a recorded actor (items written before actors were stored) are the system's. */
const UNKNOWN_ACTOR: EventActor = { type: 'system', id: 'unknown' };
const MAIL_SERVICE: EventActor = { type: 'system', id: 'ses' };
/** Replies are seen by the CRM's inbound mail (domain/inbound/). */
const INBOUND_MAIL: EventActor = { type: 'system', id: 'inbound-email' };

function event(
  type: CrmEventType,
  subject: { recordType: EventSubjectType; recordId: string; version: number; path: string },
  at: string,
  actor: EventActor,
  changes: readonly FieldChange[],
  record: Record<string, unknown> | undefined,
): CrmEvent {
  const detail: CrmEventDetail = {
    schemaVersion: CRM_EVENT_SCHEMA_VERSION,
    eventId: `${type}/${subject.recordId}/${subject.version}`,
    type,
    occurredAt: at,
    ...subject,
    actor,
    changedFields: changes.map((change) => change.field),
    changes,
    ...(record ? { record } : {}),
  };
  const whole: CrmEvent = { source: CRM_EVENT_SOURCE, detailType: type, time: at, detail };
  if (entrySize(whole) <= MAX_ENTRY_BYTES) return whole;
  const { changes: _changes, record: _record, ...reference } = detail;
  return { ...whole, detail: { ...reference, truncated: true } };
}

function recordEvents(change: RecordChange): CrmEvent[] {
  const subject = { recordType: change.recordType, recordId: change.id, version: change.version, path: `/v1/${collectionOf[change.recordType]}/${change.id}` };
  const actor = change.actor
    ? { type: change.actor.type, id: change.actor.id, ...(change.actor.onBehalfOf ? { onBehalfOf: change.actor.onBehalfOf } : {}), ...(change.actor.depth ? { depth: change.actor.depth } : {}) }
    : UNKNOWN_ACTOR;
  // A deleted record's data is not sent around again: its id and last version say what went.
  const record = change.event === 'deleted' ? undefined : change.after;
  // A merged record is gone as a deleted one is, with the survivor holding everything it had: its event says which.
  if (change.mergedInto) return [event(`${change.recordType}.merged` as CrmEventType, subject, change.at, actor, [{ field: 'mergedInto', from: null, to: change.mergedInto }], undefined)];
  const events = [event(`${change.recordType}.${change.event}`, subject, change.at, actor, change.changes, record)];
  if (change.event === 'deleted' || !change.after) return events;

  const changed = (field: string) => change.changes.filter((fieldChange) => fieldChange.field === field);
  if (change.recordType === 'deal') {
    const placement = [...changed('pipelineId'), ...changed('stageId')];
    if (change.event === 'updated' && placement.length > 0)
      events.push(event('deal.stage_changed', subject, change.at, actor, [...placement, ...changed('status'), ...changed('probability')], record));
    const status = change.after.status;
    if ((status === 'won' || status === 'lost') && change.before?.status !== status) events.push(event(`deal.${status}`, subject, change.at, actor, changed('status'), record));
  }
  if (change.recordType === 'activity' && change.after.kind === 'task' && change.after.taskStatus === 'done' && change.before?.taskStatus !== 'done') {
    events.push(event('task.completed', subject, change.at, actor, changed('taskStatus'), record));
  }
  return events;
}

/** SES's reports that become events (a rejection stays internal: the send already failed for its caller). */
const emailEventOf: Partial<Record<EmailStatus, CrmEventType>> = { sent: 'email.sent', delivered: 'email.delivered', bounced: 'email.bounced', complained: 'email.complained', replied: 'email.replied' };

function emailEvents(before: EmailMessage | undefined, after: EmailMessage): CrmEvent[] {
  const type = emailEventOf[after.status];
  if (!type || before?.status === after.status) return [];
  const subject = { recordType: 'email' as const, recordId: after.id, version: after.version, path: `/v1/emails/${after.id}` };
  const { sentBy } = after;
  const sender: EventActor = { type: sentBy.type as EventActor['type'], id: sentBy.id, ...(sentBy.onBehalfOf ? { onBehalfOf: sentBy.onBehalfOf } : {}) };
  const record = after as unknown as Record<string, unknown>;
  const from = before?.status ?? null;
  if (after.status === 'sent') return [event(type, subject, after.updatedAt, sender, [{ field: 'status', from, to: 'sent' }], record)];
  const report = event(type, subject, after.updatedAt, after.status === 'replied' ? INBOUND_MAIL : MAIL_SERVICE, [{ field: 'status', from, to: after.status }], record);
  // SES's report overtook the send's own record of it (a crash after SES took the mail, or a
  // race): the message never was `sent`, yet it was sent, by its sender. Both are raised.
  const neverSent = from === null || from === 'sending';
  return neverSent ? [event('email.sent', subject, after.updatedAt, sender, [{ field: 'status', from, to: 'sent' }], record), report] : [report];
}

function enrollmentEvents(before: Enrollment | undefined, after: Enrollment): CrmEvent[] {
  const newRun = before?.runId !== after.runId;
  let type: CrmEventType | undefined;
  if (after.status === 'active' && (newRun || before?.status !== 'active')) type = 'enrollment.started';
  else if (after.status === 'stopped' && before?.status !== 'stopped') type = 'enrollment.stopped';
  else if (after.status === 'completed' && before?.status !== 'completed') type = 'enrollment.completed';
  else if (after.status === 'failed' && before?.status !== 'failed') type = 'enrollment.failed';
  if (!type) return [];
  const subject = {
    recordType: 'enrollment' as const,
    recordId: `${after.sequenceId}:${after.contactId}`,
    version: after.version,
    path: `/v1/sequences/${after.sequenceId}/enrollments/${after.contactId}`,
  };
  // A run acts for whoever enrolled the contact; who stopped it by hand is not stored.
  const actor: EventActor = { type: 'system', id: `sequence:${after.sequenceId}`, onBehalfOf: after.enrolledBy };
  const changes: FieldChange[] = [{ field: 'status', from: newRun ? null : (before?.status ?? null), to: after.status }];
  if (after.stopReason && type === 'enrollment.stopped') changes.push({ field: 'stopReason', from: null, to: after.stopReason });
  if (after.lastError && type === 'enrollment.failed') changes.push({ field: 'lastError', from: null, to: after.lastError });
  return [event(type, subject, after.updatedAt, actor, changes, after as unknown as Record<string, unknown>)];
}

/** A workflow run that failed: an action refused for good, or a step that kept failing (`record.error` says which). */
function workflowRunEvents(before: WorkflowRun | undefined, after: WorkflowRun): CrmEvent[] {
  if (after.status !== 'failed' || before?.status === 'failed') return [];
  const subject = { recordType: 'workflowRun' as const, recordId: after.runId, version: after.version, path: `/v1/workflows/${after.workflowId}/runs/${after.runId}` };
  const actor: EventActor = { type: 'workflow', id: after.workflowId, onBehalfOf: after.trigger.actor.onBehalfOf ?? after.trigger.actor.id, depth: after.depth };
  const changes: FieldChange[] = [
    { field: 'status', from: before?.status ?? null, to: 'failed' },
    { field: 'error', from: null, to: after.error ?? null },
  ];
  return [event('workflow.run_failed', subject, after.updatedAt, actor, changes, after as unknown as Record<string, unknown>)];
}

/** An endpoint the CRM disabled because every delivery to it failed for days (its creator is emailed too). */
function webhookEvents(before: Webhook | undefined, after: Webhook): CrmEvent[] {
  if (after.enabled || after.disabledReason !== 'failing' || !before?.enabled) return [];
  const subject = { recordType: 'webhook' as const, recordId: after.id, version: after.version, path: `/v1/webhooks/${after.id}` };
  const changes: FieldChange[] = [
    { field: 'enabled', from: true, to: false },
    { field: 'disabledReason', from: null, to: 'failing' },
  ];
  // The view: an event never carries a signing secret.
  return [event('webhook.disabled', subject, after.updatedAt, { type: 'system', id: 'webhook-delivery' }, changes, webhookView(after) as unknown as Record<string, unknown>)];
}

/** An email goes when its contact is deleted (the contact's sweep): its id and last version, none of its text. */
function emailDeleted(before: EmailMessage, at: string): CrmEvent[] {
  const subject = { recordType: 'email' as const, recordId: before.id, version: before.version, path: `/v1/emails/${before.id}` };
  return [event('email.deleted', subject, at, { type: 'system', id: 'cascade', onBehalfOf: `contact:${before.contactId}` }, [], undefined)];
}

/**
 * The events one committed change raises, in the order consumers should see them; none for
 * changes of other items. Not every change of an email or enrollment raises one (an email
 * claimed before it is sent, a run moving to its next step): their versions may skip.
 */
export function crmEventsOf(change: TableChange): CrmEvent[] {
  if (change.kind === 'removed') {
    if (change.entity !== 'emailMessage' || !change.before) return [];
    const before = itemToEmailMessage(change.before);
    // A claim released because the mail service took nothing (the send may be retried) was never an email.
    if (before.status === 'sending') return [];
    return emailDeleted(before, change.committedAt ?? before.updatedAt);
  }
  if (!change.after) return [];
  if (change.entity === 'emailMessage') return emailEvents(change.before && itemToEmailMessage(change.before), itemToEmailMessage(change.after));
  if (change.entity === 'enrollment') return enrollmentEvents(change.before && itemToEnrollment(change.before), itemToEnrollment(change.after));
  if (change.entity === 'workflowRun') return workflowRunEvents(change.before && itemToRun(change.before), itemToRun(change.after));
  if (change.entity === 'webhook') return webhookEvents(change.before && itemToWebhook(change.before), itemToWebhook(change.after));
  const recordChange = recordChangeOf(change);
  return recordChange ? recordEvents(recordChange) : [];
}

/** Entities whose changes raise events: the publisher's stream filter lets exactly these through. */
export const EVENT_RAISING_ENTITIES = ['contact', 'company', 'deal', 'activity', 'tombstone', 'emailMessage', 'enrollment', 'workflowRun', 'webhook'] as const;
