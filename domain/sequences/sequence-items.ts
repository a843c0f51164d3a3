import { ConflictError } from '../shared/errors';
import { keys } from '../shared/keys';
import type { Clock, CrmTablePort, Item, WriteOp } from '../shared/table-port';
import type { Enrollment, Sequence } from './sequence';

export const sequenceToItem = (sequence: Sequence): Item => ({
  ...keys.record('sequence', sequence.id),
  entity: 'sequence',
  ...sequence,
  ...keys.typeListIndex('sequence', sequence.createdAt, sequence.id),
});

export function itemToSequence(item: Item): Sequence {
  const { id, name, steps, status, createdBy, createdAt, updatedAt, version } = item as unknown as Sequence;
  return { id, name, steps, status, createdBy, createdAt, updatedAt, version };
}

export async function findSequence(table: CrmTablePort, id: string): Promise<Sequence | undefined> {
  const item = await table.getItem(keys.record('sequence', id));
  return item ? itemToSequence(item) : undefined;
}

export const enrollmentToItem = (enrollment: Enrollment): Item => ({ ...keys.enrollment(enrollment.sequenceId, enrollment.contactId), entity: 'enrollment', ...enrollment });

export function itemToEnrollment(item: Item): Enrollment {
  const { pk: _pk, sk: _sk, entity: _entity, ...enrollment } = item;
  return enrollment as unknown as Enrollment;
}

export async function findEnrollment(table: CrmTablePort, sequenceId: string, contactId: string): Promise<Enrollment | undefined> {
  const item = await table.getItem(keys.enrollment(sequenceId, contactId));
  return item ? itemToEnrollment(item) : undefined;
}

/** The put of the next version of an enrollment, refused if someone else wrote it since `fromVersion`. */
export const enrollmentWriteOp = (next: Enrollment, fromVersion: number): WriteOp => ({
  op: 'put',
  item: enrollmentToItem(next),
  condition: { kind: 'liveAtVersion', version: fromVersion },
  onConditionFailed: () => new ConflictError(`The enrollment of contact ${next.contactId} changed meanwhile.`),
});

const MAX_ATTEMPTS = 5;

/**
 * Applies `change` to the stored enrollment under optimistic locking, re-reading and
 * re-deciding when a user stopped it (or a duplicate step advanced it) in between.
 * `change` returns undefined to leave it as it is.
 */
export async function updateEnrollment(
  deps: { readonly table: CrmTablePort; readonly clock: Clock },
  current: Enrollment,
  change: (current: Enrollment) => Partial<Enrollment> | undefined,
  /** Written in the same transaction, e.g. the audit entry of the change. */
  alongside: (previous: Enrollment, next: Enrollment) => WriteOp[] = () => [],
): Promise<Enrollment> {
  let enrollment: Enrollment | undefined = current;
  for (let attempt = 1; enrollment; attempt++) {
    const fields = change(enrollment);
    if (!fields) return enrollment;
    const next: Enrollment = { ...enrollment, ...fields, updatedAt: deps.clock.now().toISOString(), version: enrollment.version + 1 };
    try {
      await deps.table.transactWrite([enrollmentWriteOp(next, enrollment.version), ...alongside(enrollment, next)]);
      return next;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      enrollment = await findEnrollment(deps.table, current.sequenceId, current.contactId);
    }
  }
  throw new ConflictError(`The enrollment of contact ${current.contactId} no longer exists.`);
}
