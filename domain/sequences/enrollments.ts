import { requireCapability } from '../access/permissions';
import { auditOp } from '../audit/audit-entries';
import { findSendableContact } from '../email/send-email';
import type { Page } from '../shared/page';
import type { Actor } from '../shared/actor';
import { ConflictError, EmailNotSendableError, NotFoundError, ValidationError } from '../shared/errors';
import { partitionQueries, singlePartition } from '../shared/key-design';
import { enrollmentKeys, enrollmentsByContact, recordKeys } from '../shared/keys';
import type { CrmTablePort, Item } from '../shared/table-port';
import type { PageRequest } from '../shared/page';
import { forEachQueryPage, listPage } from '../shared/pagination';
import type { Enrollment, StopReason } from './sequence';
import { enrollmentToItem, findEnrollment, itemToEnrollment, updateEnrollment } from './sequence-items';
import { requireSequence, type SequenceDependencies } from './sequence-use-cases';

/**
 * Puts a contact into a sequence. The enrollment item is the whole commitment: the
 * sequence run is started from the table's stream (functions/manifest.ts), so an
 * accepted enrollment runs even if this request dies right after the write.
 * A contact is in a sequence at most once at a time; after a run ends it may enrol again.
 */
export async function enrollContact(deps: SequenceDependencies, sequenceId: string, contactId: string, actor: Actor): Promise<Enrollment> {
  requireCapability(actor, 'createRecords', 'enroll contacts in sequences');
  const sequence = await requireSequence(deps, sequenceId);
  if (sequence.status !== 'active') throw new ConflictError(`Sequence ${sequenceId} is archived and takes no new enrollments.`);
  const noSuchContact = () => new ValidationError(`No contact with id ${contactId}.`, [{ field: 'body.contactId', message: `contact ${contactId} does not exist` }]);
  // Like emailing a contact (or logging an activity on it), enrolling needs no ownership of it.
  const found = await findSendableContact(deps, contactId);
  if (!found) throw noSuchContact();
  if (!found.sendable) throw new EmailNotSendableError(found.detail, found.reason);

  const previous = await findEnrollment(deps.table, sequenceId, contactId);
  const runId = deps.ids.next();
  // A run id derived from an Idempotency-Key repeats only when this very request is retried: its enrollment is the answer.
  if (previous?.runId === runId) return previous;
  if (previous?.status === 'active') throw new ConflictError(`Contact ${contactId} is already enrolled in sequence ${sequenceId}.`, { runId: previous.runId });
  const now = deps.clock.now().toISOString();
  const enrollment: Enrollment = {
    sequenceId,
    contactId,
    runId,
    status: 'active',
    // A failed run resumes where it failed; anything else starts over.
    nextStep: previous?.status === 'failed' ? previous.nextStep : 0,
    starting: true,
    enrolledBy: actor.id,
    enrolledAt: now,
    updatedAt: now,
    version: (previous?.version ?? 0) + 1,
  };
  await deps.table.transactWrite([
    {
      op: 'put',
      item: enrollmentToItem(enrollment),
      condition: previous ? { kind: 'liveAtVersion', version: previous.version } : { kind: 'absent' },
      onConditionFailed: () => new ConflictError(`Contact ${contactId} was enrolled in sequence ${sequenceId} meanwhile.`),
    },
    {
      op: 'check',
      key: recordKeys.record('contact', contactId),
      condition: { kind: 'live' },
      onConditionFailed: noSuchContact,
    },
    auditOp({ recordType: 'enrollment', recordId: `${sequenceId}/${contactId}`, at: now, entryId: deps.ids.next(), actor, event: previous ? 'updated' : 'created', changes: [{ field: 'status', from: previous?.status ?? null, to: 'active' }] }),
  ]);
  return enrollment;
}

export async function getEnrollment(deps: SequenceDependencies, sequenceId: string, contactId: string, actor: Actor): Promise<Enrollment> {
  requireCapability(actor, 'readRecords', 'read enrollments');
  const enrollment = await findEnrollment(deps.table, sequenceId, contactId);
  if (!enrollment) throw new NotFoundError('enrollment', `${sequenceId}/${contactId}`);
  return enrollment;
}

export async function listEnrollments(deps: SequenceDependencies, sequenceId: string, page: PageRequest, actor: Actor): Promise<Page<Enrollment>> {
  requireCapability(actor, 'readRecords', 'list enrollments');
  await requireSequence(deps, sequenceId);
  return listPage(deps.table, singlePartition(enrollmentKeys.ofSequence(sequenceId)), page, itemToEnrollment);
}

/**
 * Stops a running enrollment. The run's next step sees it and ends without sending, so
 * stopping needs no call to Step Functions (and cannot race one). Whoever enrolled the
 * contact may stop it; anyone else needs the right to change any record.
 */
export async function stopEnrollment(deps: SequenceDependencies, sequenceId: string, contactId: string, actor: Actor): Promise<Enrollment> {
  requireCapability(actor, 'createRecords', 'stop enrollments');
  const current = await findEnrollment(deps.table, sequenceId, contactId);
  if (!current) throw new NotFoundError('enrollment', `${sequenceId}/${contactId}`);
  if (current.enrolledBy !== actor.id) requireCapability(actor, 'changeAnyRecord', 'stop enrollments made by others');
  if (current.status !== 'active') return current;
  const stopped = await updateEnrollment(
    deps,
    current,
    (enrollment) => (enrollment.status === 'active' ? { status: 'stopped', stopReason: 'stopped-by-user' } : undefined),
    (previous, next) => [
      auditOp({ recordType: 'enrollment', recordId: `${sequenceId}/${contactId}`, at: next.updatedAt, entryId: deps.ids.next(), actor, event: 'updated', changes: [{ field: 'status', from: previous.status, to: next.status }] }),
    ],
  );
  return stopped;
}

/** What happened to a contact that ends their sequences: they answered (in person or by email), or their deal was decided. */
export type ContactOutcome = Extract<StopReason, 'meeting-booked' | 'deal-won' | 'deal-lost' | 'replied'>;

const ENROLLMENTS_PAGE = 100;

/** Every enrollment of a contact, through the index (eventually consistent: one written a moment ago may be missing). */
export async function enrollmentsOfContact(table: CrmTablePort, contactId: string): Promise<Enrollment[]> {
  const items: Item[] = [];
  for (const query of partitionQueries(enrollmentsByContact.query({ contactId }))) await forEachQueryPage(table, query, ENROLLMENTS_PAGE, (page) => void items.push(...page));
  return items.map(itemToEnrollment);
}

/**
 * Stops every running enrollment of these contacts because of `reason`, as the CRM acting
 * for whoever caused it (`actor`). Each stop is one conditional write that only an active
 * enrollment takes, so a redelivered event, or a run that ended meanwhile, changes nothing.
 * Answers the enrollments it stopped.
 */
export async function stopEnrollmentsOfContacts(
  deps: SequenceDependencies,
  contactIds: readonly string[],
  reason: ContactOutcome,
  actor: Actor,
  { enrolledBy }: { readonly enrolledBy: string },
): Promise<Enrollment[]> {
  const stopped: Enrollment[] = [];
  for (const contactId of new Set(contactIds)) {
    for (const enrollment of await enrollmentsOfContact(deps.table, contactId)) {
      // Only runs enrolled by `enrolledBy` (the moment of what ends them): a later run is not about it.
      if (enrollment.status !== 'active' || enrollment.enrolledAt > enrolledBy) continue;
      let changed = false;
      const after = await updateEnrollment(
        deps,
        enrollment,
        (current) =>
          current.status === 'active' && current.runId === enrollment.runId ? ((changed = true), { status: 'stopped', stopReason: reason }) : ((changed = false), undefined),
        (previous, next) => [
          auditOp({
            recordType: 'enrollment',
            recordId: `${next.sequenceId}/${next.contactId}`,
            at: next.updatedAt,
            entryId: deps.ids.next(),
            actor,
            event: 'updated',
            changes: [
              { field: 'status', from: previous.status, to: next.status },
              { field: 'stopReason', from: previous.stopReason ?? null, to: reason },
            ],
          }),
        ],
      );
      if (changed) stopped.push(after);
    }
  }
  return stopped;
}
