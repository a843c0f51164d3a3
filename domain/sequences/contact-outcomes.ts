import type { CrmEventDetail } from '../events/crm-events';
import { itemToRecord } from '../records/record-items';
import type { Actor } from '../shared/actor';
import { recordKeys } from '../shared/keys';
import type { ContactOutcome } from './enrollments';
import { stopEnrollmentsOfContacts } from './enrollments';
import type { Enrollment } from './sequence';
import type { SequenceDependencies } from './sequence-use-cases';

/**
 * Sequences stop when what they were for has happened: the contact booked a meeting (a
 * meeting activity linked to them was logged), or a deal they are on was won or lost. The
 * CRM's own rule on its bus (functions/manifest.ts, sequenceStopper) brings these events.
 */

const outcomeOfType: Partial<Record<CrmEventDetail['type'], ContactOutcome>> = { 'deal.won': 'deal-won', 'deal.lost': 'deal-lost', 'activity.created': 'meeting-booked' };

export async function stopSequencesOnOutcome(deps: SequenceDependencies, detail: CrmEventDetail): Promise<{ readonly reason?: ContactOutcome; readonly stopped: readonly Enrollment[] }> {
  const reason = outcomeOfType[detail.type];
  if (!reason) return { stopped: [] };
  // What the table holds now, not what the event carries: an event may be late (a retry, a
  // replay), its deal reopened since, or not the CRM's own (anyone allowed to put events on the bus).
  const record = itemToRecord(await deps.table.getItem(recordKeys.record(detail.recordType as 'deal' | 'activity', detail.recordId)));
  if (!record) return { stopped: [] };
  const stillSo = reason === 'meeting-booked' ? record.kind === 'meeting' : record.status === (reason === 'deal-won' ? 'won' : 'lost');
  if (!stillSo) return { reason, stopped: [] };
  const actor: Actor = { type: 'system', id: `${detail.recordType}:${detail.recordId}`, role: 'admin', onBehalfOf: detail.actor.id };
  // Runs that started after what happened are not about it.
  return { reason, stopped: await stopEnrollmentsOfContacts(deps, (record.contactIds as string[] | undefined) ?? [], reason, actor, { enrolledBy: detail.occurredAt }) };
}
