import type { Actor } from '../shared/actor';
import { auditAttributes } from '../audit/audit-entries';
import { AlreadyExistsError, PreconditionFailedError, UniqueValueTakenError, ValidationError } from '../shared/errors';
import { recordKeys, uniqueGuardKey } from '../shared/keys';
import type { WriteOp } from '../shared/table-port';
import { diffRecords, type FieldChange } from './field-changes';
import { linkKey, recordToItem, referencedIds } from './record-items';
import type { CrmRecord, RecordModel, UniqueField } from './record-model';

export interface RecordWrite {
  readonly model: RecordModel;
  /** The record as stored now; undefined when creating. */
  readonly before?: CrmRecord;
  readonly after: CrmRecord;
  readonly actor: Actor;
  readonly changeId: string;
}

/**
 * Every item a record write touches, as one transaction: the record (guarded by its
 * version), its unique-value guards, the link items it keeps in referenced records
 * (each new reference checked to point at a live record), and a timeline entry.
 * Nothing is read first, so two writers can never both pass a uniqueness check.
 */
export function planRecordWrite(write: RecordWrite): { ops: WriteOp[]; changes: FieldChange[] } {
  const { model, before, after } = write;
  // A creation records every initial value (null → value), so the history starts complete.
  const changes = diffRecords(before ?? { id: after.id, createdAt: after.createdAt, updatedAt: after.updatedAt, version: 0 }, after);
  const ops: WriteOp[] = [
    {
      op: 'put',
      // Who wrote this version, for the record's change on the stream (record-change.ts); never returned to clients.
      item: { ...recordToItem(model, after), changedBy: { type: write.actor.type, id: write.actor.id, ...(write.actor.onBehalfOf ? { onBehalfOf: write.actor.onBehalfOf } : {}), ...(write.actor.depth ? { depth: write.actor.depth } : {}) } },
      condition: before ? { kind: 'liveAtVersion', version: before.version } : { kind: 'absent' },
      onConditionFailed: () => (before ? new PreconditionFailedError() : new AlreadyExistsError(model.type, after.id)),
    },
    ...uniqueGuardOps(write),
    ...linkOps(write),
    {
      // The timeline entry is also the audit entry: its index keys list it by actor and by record.
      op: 'put',
      item: {
        ...recordKeys.timelineChange(model.type, after.id, after.updatedAt, write.changeId),
        entity: 'timelineChange',
        ...auditAttributes({
          recordType: model.type,
          recordId: after.id,
          at: after.updatedAt,
          entryId: write.changeId,
          actor: write.actor,
          event: before ? 'updated' : 'created',
          changes,
        }),
      },
    },
  ];
  return { ops, changes };
}

function uniqueGuardOps(write: RecordWrite): WriteOp[] {
  return write.model.uniqueFields.flatMap((unique) => guardOpsOf(write, unique));
}

function guardOpsOf({ model, before, after }: RecordWrite, unique: UniqueField): WriteOp[] {
  const normalized = (record?: CrmRecord) => {
    const value = record?.[unique.field];
    return typeof value === 'string' ? unique.normalize(value) : undefined;
  };
  const oldValue = normalized(before);
  const newValue = normalized(after);
  if (oldValue === newValue) return [];
  const ops: WriteOp[] = [];
  if (oldValue) ops.push({ op: 'delete', key: uniqueGuardKey(model.type, unique.field, oldValue) });
  if (newValue) {
    ops.push({
      op: 'put',
      item: { ...uniqueGuardKey(model.type, unique.field, newValue), entity: 'uniqueGuard', recordId: after.id },
      condition: { kind: 'absent' },
      onConditionFailed: () => new UniqueValueTakenError(unique.field, newValue),
    });
  }
  return ops;
}

function linkOps({ model, before, after }: RecordWrite): WriteOp[] {
  const ops: WriteOp[] = [];
  const rekeyed = before !== undefined && before.occurredAt !== after.occurredAt;
  for (const reference of model.references) {
    const oldIds = new Set(referencedIds(before, reference));
    const newIds = new Set(referencedIds(after, reference));
    const moved = reference.linkKind === 'timeline' && rekeyed;
    for (const id of oldIds) {
      if (!newIds.has(id) || moved) ops.push({ op: 'delete', key: linkKey(model, before!, reference, id) });
    }
    for (const id of newIds) {
      if (oldIds.has(id) && !moved) continue;
      // Moved links are checked too: a link re-keyed into a record being deleted could land behind its sweep.
      ops.push({
        op: 'check',
        key: recordKeys.record(reference.target, id),
        condition: { kind: 'live' },
        onConditionFailed: () =>
          new ValidationError(`No ${reference.target} with id ${id}.`, [{ field: `body.${reference.field}`, message: `${reference.target} ${id} does not exist` }]),
      });
      ops.push({
        op: 'put',
        item: { ...linkKey(model, after, reference, id), entity: 'link', sourceType: model.type, sourceId: after.id, field: reference.field },
      });
    }
  }
  return ops;
}
