import type { Actor } from '../shared/actor';
import type { TableChange } from '../shared/table-change';
import { recordKeys } from '../shared/keys';
import { diffRecords, type FieldChange } from './field-changes';
import { itemToRecord } from './record-items';
import { recordTypes, type CrmRecord, type RecordType } from './record-model';

const isRecordType: ReadonlySet<string> = new Set<RecordType>(recordTypes);

/**
 * A change of a contact, company, deal or activity, as its stream consumers see it: the
 * record before and after, the changed fields with old and new values, who made it and when.
 * `deleted` is the moment the record became a tombstone (a 404 from then on); the sweep
 * that follows removes what hung off it and is not a change of the record.
 */
export interface RecordChange {
  readonly recordType: RecordType;
  readonly id: string;
  readonly event: 'created' | 'updated' | 'deleted';
  /** For a deletion that was a merge: the record that took everything this one had. */
  readonly mergedInto?: string;
  /** The version after the change; for a deletion, the last version the record had. */
  readonly version: number;
  readonly before?: CrmRecord;
  readonly after?: CrmRecord;
  readonly changes: readonly FieldChange[];
  /** Who made it, as the write recorded it (`changedBy`, or the tombstone's `deletedBy`). */
  readonly actor?: Pick<Actor, 'type' | 'id' | 'onBehalfOf' | 'depth'>;
  readonly at: string;
}

const actorOf = (item: Record<string, unknown> | undefined) => item as Pick<Actor, 'type' | 'id' | 'onBehalfOf' | 'depth'> | undefined;

/** The record change a table change is, or undefined when it is none (another item, a sweep, a rewrite of keys only). */
export function recordChangeOf(change: TableChange): RecordChange | undefined {
  if (change.kind === 'removed' || !recordKeys.isRecord(change.key)) return undefined;
  const { type, id } = recordKeys.parse(change.key.pk);
  if (!isRecordType.has(type)) return undefined;
  const before = itemToRecord(change.before);
  const after = itemToRecord(change.after);
  const recordType = type as RecordType;
  if (after) {
    const changes = diffRecords(before ?? { id, createdAt: after.createdAt, updatedAt: after.updatedAt, version: 0 }, after);
    // A rewrite that changed no field (a migration giving the item new index keys) is no change of the record.
    if (before && changes.length === 0) return undefined;
    const actor = actorOf(change.after?.changedBy as Record<string, unknown> | undefined);
    return { recordType, id, event: before ? 'updated' : 'created', version: after.version, ...(before ? { before } : {}), after, changes, ...(actor ? { actor } : {}), at: after.updatedAt };
  }
  if (before && change.after?.deletedAt !== undefined) {
    const actor = actorOf(change.after.deletedBy as Record<string, unknown> | undefined);
    const mergedInto = typeof change.after.mergedInto === 'string' ? change.after.mergedInto : undefined;
    return { recordType, id, event: 'deleted', ...(mergedInto ? { mergedInto } : {}), version: before.version, before, changes: [], ...(actor ? { actor: { type: actor.type, id: actor.id, ...(actor.onBehalfOf ? { onBehalfOf: actor.onBehalfOf } : {}) } } : {}), at: String(change.after.deletedAt) };
  }
  return undefined;
}

/**
 * The change the stream brings when a record goes from `before` to `after` (either absent:
 * created, or deleted at `before`'s version), as recordChangeOf decodes it: for the work that
 * applies changes without a stream (migrations, benchmarks, tests).
 */
export function recordChangeBetween(recordType: RecordType, before: CrmRecord | undefined, after: CrmRecord | undefined): RecordChange {
  const record = (after ?? before)!;
  const empty = { id: record.id, createdAt: record.createdAt, updatedAt: record.updatedAt, version: 0 };
  return {
    recordType,
    id: record.id,
    event: !after ? 'deleted' : before ? 'updated' : 'created',
    version: record.version,
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    changes: after ? diffRecords(before ?? empty, after) : [],
    at: after?.updatedAt ?? new Date(Date.parse(record.updatedAt) + 1).toISOString(),
  };
}
