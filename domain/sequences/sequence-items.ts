import { auditedDocuments } from '../audit/audited-documents';
import { ConflictError, PreconditionFailedError } from '../shared/errors';
import { retryLostRaces } from '../shared/optimistic-retry';
import { untilNoneListed } from '../shared/pagination';
import { enrollmentKeys, enrollmentsByContact, recordKeys, recordsByType } from '../shared/keys';
import type { Clock, CrmTablePort, IdGenerator, Item, WriteOp } from '../shared/table-port';
import { updateVersioned } from '../shared/versioned-update';
import type { Enrollment, Sequence } from './sequence';
import { storedValue } from '../shared/stored-item';

export const sequenceToItem = (sequence: Sequence): Item => ({
  ...recordKeys.record('sequence', sequence.id),
  entity: 'sequence',
  ...sequence,
  ...recordsByType.attributes({ type: 'sequence' }, { at: sequence.createdAt, id: sequence.id }),
});

export function itemToSequence(item: Item): Sequence {
  const { id, name, steps, status, sendingHours, createdBy, createdAt, updatedAt, version } = item as unknown as Sequence;
  return { id, name, steps, status, ...(sendingHours ? { sendingHours } : {}), createdBy, createdAt, updatedAt, version };
}

/** Sequences are audited, versioned documents (audited-documents.ts). */
export const sequenceDocuments = auditedDocuments<Sequence>({
  resource: 'sequence',
  auditedAs: 'sequence',
  key: (id) => recordKeys.record('sequence', id),
  list: () => recordsByType.query({ type: 'sequence' }),
  toItem: sequenceToItem,
  fromItem: itemToSequence,
  audited: ['name', 'steps', 'status', 'sendingHours'],
});

export const findSequence = (table: CrmTablePort, id: string): Promise<Sequence | undefined> => sequenceDocuments.find(table, id);

export const enrollmentToItem = (enrollment: Enrollment): Item => ({
  ...enrollmentKeys.enrollment(enrollment.sequenceId, enrollment.contactId),
  entity: 'enrollment',
  ...enrollment,
  ...enrollmentsByContact.attributes({ contactId: enrollment.contactId }, { sequenceId: enrollment.sequenceId }),
});

export const itemToEnrollment = (item: Item): Enrollment => storedValue<Enrollment>(item);

export async function findEnrollment(table: CrmTablePort, sequenceId: string, contactId: string): Promise<Enrollment | undefined> {
  const item = await table.getItem(enrollmentKeys.enrollment(sequenceId, contactId));
  return item ? itemToEnrollment(item) : undefined;
}

/**
 * Applies `change` to the stored enrollment under optimistic locking (updateVersioned), so a
 * step and a user stopping the enrollment, or two attempts of one step, each re-decide on
 * what the other wrote. `alongside` goes into the same transaction (an audit entry).
 */
export async function updateEnrollment(
  deps: { readonly table: CrmTablePort; readonly clock: Clock },
  current: Enrollment,
  change: (current: Enrollment) => Partial<Enrollment> | undefined,
  alongside?: (previous: Enrollment, next: Enrollment) => WriteOp[],
): Promise<Enrollment> {
  const updated = await updateVersioned(deps, {
    resource: 'enrollment',
    id: `${current.sequenceId}/${current.contactId}`,
    known: current,
    read: () => findEnrollment(deps.table, current.sequenceId, current.contactId),
    toItem: enrollmentToItem,
    change,
    ...(alongside ? { alongside } : {}),
  });
  if (!updated) throw new ConflictError(`The enrollment of contact ${current.contactId} no longer exists.`);
  return updated;
}

/**
 * A merge's share of a contact's sequences: each enrollment of `fromId` becomes `toId`'s,
 * unless `toId` has one in that sequence already (theirs stays, and the merged contact's
 * run ends: its next step finds no enrollment). A running one moves as a new run from the
 * step it had reached, started from the stream like any other; its remaining wait before
 * that step is not kept. Each move is one transaction conditioned on the version read, so
 * a step advancing the run meanwhile makes the move read again.
 */
export async function moveEnrollmentsOfContact(deps: { readonly table: CrmTablePort; readonly clock: Clock; readonly ids: IdGenerator }, fromId: string, toId: string, alongside: WriteOp): Promise<void> {
  await untilNoneListed(deps.table, enrollmentsByContact.query({ contactId: fromId }), 25, async (items) => {
    for (const { sequenceId } of items.map(itemToEnrollment)) {
      await retryLostRaces(deps.clock, { resource: 'enrollment', id: `${sequenceId}/${fromId}` }, async () => {
        const [moving, kept] = await Promise.all([findEnrollment(deps.table, sequenceId, fromId), findEnrollment(deps.table, sequenceId, toId)]);
        if (!moving) return;
        const lost = () => new PreconditionFailedError();
        const ops: WriteOp[] = [alongside, { op: 'delete', key: enrollmentKeys.enrollment(sequenceId, fromId), condition: { kind: 'liveAtVersion', version: moving.version }, onConditionFailed: lost }];
        if (!kept) {
          const running = moving.status === 'active' ? { runId: deps.ids.next(), starting: true } : {};
          const moved: Enrollment = { ...moving, ...running, contactId: toId, updatedAt: deps.clock.now().toISOString(), version: 1 };
          ops.push({ op: 'put', item: enrollmentToItem(moved), condition: { kind: 'absent' }, onConditionFailed: lost });
        }
        await deps.table.transactWrite(ops);
      });
    }
  });
}
