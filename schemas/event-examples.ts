import type { EmailMessage } from '../domain/email/email-message';
import { emailMessageToItem } from '../domain/email/email-message-items';
import { crmEventsOf, type CrmEvent, type CrmEventType } from '../domain/events/crm-events';
import { activityModel } from '../domain/records/activity';
import { companyModel } from '../domain/records/company';
import { contactModel } from '../domain/records/contact';
import { dealModel } from '../domain/records/deal';
import { recordToItem } from '../domain/records/record-items';
import type { RecordModel } from '../domain/records/record-model';
import type { Enrollment } from '../domain/sequences/sequence';
import { enrollmentToItem } from '../domain/sequences/sequence-items';
import { runToItem, type WorkflowRun } from '../domain/workflows/workflow-run';
import type { Webhook } from '../domain/webhooks/webhook';
import { webhookToItem } from '../domain/webhooks/webhooks';
import type { TableChange } from '../domain/shared/table-change';
import type { Item } from '../domain/shared/table-port';

/**
 * One example of every CRM event, raised by the real code (crmEventsOf) from items built by
 * the real item builders: docs/events.md shows these, and a test holds each to its schema.
 */

const at = (minute: number) => `2026-03-02T09:${String(minute).padStart(2, '0')}:00.000Z`;
const ada = { type: 'user', id: 'ada@acme.example', role: 'member' };
const recordItem = (model: RecordModel, record: Record<string, unknown>, changedBy: object = ada) => ({ ...recordToItem(model, record as never), changedBy });
const change = (before: Item | undefined, after: Item): TableChange => ({
  kind: before ? 'modified' : 'inserted',
  key: { pk: after.pk, sk: after.sk },
  entity: String(after.entity),
  ...(before ? { before } : {}),
  after,
  sequence: '1',
});
const deleted = (before: Item, type: string, id: string, mergedInto?: string): TableChange => ({
  kind: 'modified',
  key: { pk: before.pk, sk: before.sk },
  entity: 'tombstone',
  before,
  after: { pk: before.pk, sk: before.sk, entity: 'tombstone', type, id, deletedAt: at(59), deletedBy: ada, ...(mergedInto ? { mergedInto } : {}) },
  sequence: '1',
});

const contact = {
  id: '01JNQ8Y3ZB6W1T1D5V0K9C4M2P',
  firstName: 'Grace',
  lastName: 'Hopper',
  email: 'grace@navy.example',
  lifecycleStage: 'lead',
  ownerId: 'ada@acme.example',
  companyIds: ['01JNQ8XZ9D2C4E6G8J0K2M4N6Q'],
  tags: ['conference'],
  properties: { region: 'EMEA' },
  createdAt: at(0),
  updatedAt: at(0),
  version: 1,
};
const company = { id: '01JNQ8XZ9D2C4E6G8J0K2M4N6Q', name: 'Navy Labs', domain: 'navy.example', tags: [], properties: {}, createdAt: at(0), updatedAt: at(0), version: 1 };
const deal = {
  id: '01JNQ90A5F7H9K1M3P5R7T9V1X',
  name: 'Compiler licences',
  amount: 24000,
  currency: 'USD',
  pipelineId: 'default',
  stageId: 'contract_sent',
  status: 'open',
  probability: 0.9,
  closedAt: null as string | null,
  ownerId: 'ada@acme.example',
  companyId: company.id,
  contactIds: [contact.id],
  tags: [],
  properties: {},
  createdAt: at(0),
  updatedAt: at(0),
  version: 1,
};
const task = {
  id: '01JNQ91B6G8J0L2N4Q6S8U0W2Y',
  kind: 'task',
  subject: 'Send the contract',
  occurredAt: at(0),
  taskStatus: 'open',
  assigneeId: 'ada@acme.example',
  dueAt: '2026-03-04T17:00:00.000Z',
  contactIds: [contact.id],
  companyIds: [],
  dealIds: [deal.id],
  createdAt: at(0),
  updatedAt: at(0),
  version: 1,
};
const message: EmailMessage = {
  id: '01JNQ92C7H9K1M3P5R7T9V1X3Z',
  contactId: contact.id,
  to: 'grace@navy.example',
  subject: 'Your licences',
  text: 'Hello Grace, the contract is attached.',
  status: 'sending',
  source: { kind: 'api' },
  sentBy: { type: 'user', id: 'ada@acme.example' },
  createdAt: at(10),
  updatedAt: at(10),
  version: 1,
};
const enrollment: Enrollment = {
  sequenceId: '01JNQ93D8J0L2N4Q6S8U0W2Y4A',
  contactId: contact.id,
  runId: '01JNQ93E9K1M3P5R7T9V1X3Z5B',
  status: 'active',
  nextStep: 0,
  starting: true,
  enrolledBy: 'ada@acme.example',
  enrolledAt: at(20),
  updatedAt: at(20),
  version: 1,
};

const workflowRun: WorkflowRun = {
  runId: 'kQ3v9Xw2bN7pL0sR5tY8uZ1aC4dE6fGh',
  workflowId: '01JNQ95F0L2N4Q6S8U0W2Y4A6C',
  workflowVersion: 3,
  workflowAuthor: 'ada@acme.example',
  status: 'running',
  trigger: {
    eventId: `deal.stage_changed/${deal.id}/2`,
    event: 'deal.stage_changed',
    recordType: 'deal',
    recordId: deal.id,
    occurredAt: at(30),
    actor: { type: 'user', id: 'ada@acme.example' },
    changes: [],
  },
  depth: 1,
  actions: [{ type: 'enrollInSequence', sequenceId: enrollment.sequenceId }],
  nextStep: 0,
  steps: [],
  startedAt: at(30),
  updatedAt: at(30),
  version: 1,
};

const webhook: Webhook = {
  id: '01JNQ97H2N4Q6S8U0W2Y4A6C8E',
  url: 'https://billing.acme.example/crm-events',
  eventTypes: ['deal.*'],
  enabled: true,
  failingSince: '2026-02-25T08:00:00.000Z',
  // An example value, not a real key: events never carry it (the example shows they do not).
  secrets: [{ secret: 'whsec_ZXhhbXBsZSBvbmx5LCBub3QgYSByZWFsIHNlY3JldCBrZXk=', createdAt: '2026-01-10T12:00:00.000Z' }],
  createdBy: 'ada@acme.example',
  createdAt: '2026-01-10T12:00:00.000Z',
  updatedAt: '2026-02-25T08:00:00.000Z',
  version: 4,
};

function next<T extends { updatedAt: string; version: number }>(record: T, minute: number, changes: Partial<T>): T {
  return { ...record, ...changes, updatedAt: at(minute), version: record.version + 1 };
}

export function exampleEvents(): Record<CrmEventType, CrmEvent> {
  const dealWon = next(deal, 30, { stageId: 'closed_won', status: 'won', probability: 1, closedAt: at(30) });
  const dealLost = next(deal, 31, { stageId: 'closed_lost', status: 'lost', probability: 0, closedAt: at(31) });
  const taskDone = next(task, 32, { taskStatus: 'done' });
  const sent = { ...message, status: 'sent' as const, providerMessageId: '0100018e0a1b2c3d-ses', updatedAt: at(11), version: 2 };
  const advanced = { ...enrollment, starting: false, nextStep: 1, updatedAt: at(21), version: 2 };
  const changes: TableChange[] = [
    change(undefined, recordItem(contactModel, contact)),
    change(recordItem(contactModel, contact), recordItem(contactModel, next(contact, 5, { lifecycleStage: 'opportunity' }))),
    deleted(recordItem(contactModel, contact), 'contact', contact.id),
    deleted(recordItem(contactModel, contact), 'contact', contact.id, '01JNQ8Y3ZB6W1T1D5V0K9C4M3Q'),
    change(undefined, recordItem(companyModel, company)),
    change(recordItem(companyModel, company), recordItem(companyModel, next(company, 6, { name: 'Navy Research Labs' }), { type: 'client', id: 'billing-sync', role: 'member' })),
    deleted(recordItem(companyModel, company), 'company', company.id),
    deleted(recordItem(companyModel, company), 'company', company.id, '01JNQ8Y3ZB6W1T1D5V0K9C4M4R'),
    change(undefined, recordItem(dealModel, deal)),
    change(recordItem(dealModel, deal), recordItem(dealModel, dealWon)),
    change(recordItem(dealModel, deal), recordItem(dealModel, dealLost)),
    deleted(recordItem(dealModel, deal), 'deal', deal.id),
    change(undefined, recordItem(activityModel, task)),
    change(recordItem(activityModel, task), recordItem(activityModel, taskDone)),
    deleted(recordItem(activityModel, task), 'activity', task.id),
    change(emailMessageToItem(message), emailMessageToItem(sent)),
    change(emailMessageToItem(sent), emailMessageToItem({ ...sent, status: 'delivered', updatedAt: at(12), version: 3 })),
    change(emailMessageToItem(sent), emailMessageToItem({ ...sent, status: 'bounced', statusDetail: 'Permanent: General', updatedAt: at(12), version: 3 })),
    change(emailMessageToItem(sent), emailMessageToItem({ ...sent, status: 'complained', updatedAt: at(40), version: 3 })),
    change(emailMessageToItem(sent), emailMessageToItem({ ...sent, status: 'replied', updatedAt: at(41), version: 3 })),
    { kind: 'removed', key: { pk: emailMessageToItem(sent).pk, sk: emailMessageToItem(sent).sk }, entity: 'emailMessage', before: emailMessageToItem(sent), committedAt: at(59), sequence: '1' },
    change(undefined, enrollmentToItem(enrollment)),
    change(enrollmentToItem(advanced), enrollmentToItem({ ...advanced, status: 'stopped', stopReason: 'stopped-by-user', updatedAt: at(25), version: 3 })),
    change(enrollmentToItem(advanced), enrollmentToItem({ ...advanced, status: 'completed', nextStep: 2, updatedAt: at(50), version: 3 })),
    change(enrollmentToItem(advanced), enrollmentToItem({ ...advanced, status: 'failed', lastError: 'ServiceUnavailableError: sending is paused for this account', updatedAt: at(52), version: 3 })),
    change(
      runToItem(workflowRun),
      runToItem(
        next(workflowRun, 31, {
          status: 'failed',
          error: 'Sequence 01JNQ93D8J0L2N4Q6S8U0W2Y4A is archived and takes no new enrollments.',
          steps: [{ path: '0', type: 'enrollInSequence', status: 'failed', at: at(31), error: 'Sequence 01JNQ93D8J0L2N4Q6S8U0W2Y4A is archived and takes no new enrollments.' }],
          finishedAt: at(31),
        }),
      ),
    ),
    change(webhookToItem(webhook), webhookToItem(next(webhook, 58, { enabled: false, disabledReason: 'failing' }))),
  ];
  const examples: Partial<Record<CrmEventType, CrmEvent>> = {};
  // The first event of each type: a won deal's deal.updated comes before the one of the lost deal.
  for (const event of changes.flatMap(crmEventsOf)) examples[event.detailType] ??= event;
  return examples as Record<CrmEventType, CrmEvent>;
}
