import type { Actor } from '../shared/actor';
import { keys } from '../shared/keys';
import type { Item } from '../shared/table-port';
import type { FieldChange } from '../records/field-changes';

export type AuditedType = 'contact' | 'company' | 'deal' | 'activity' | 'pipeline' | 'property';

export interface AuditEntry {
  readonly recordType: AuditedType;
  readonly recordId: string;
  readonly at: string;
  readonly entryId: string;
  readonly actor: Actor;
  readonly event: 'created' | 'updated' | 'deleted';
  readonly changes: readonly FieldChange[];
}

/** The attributes that make an item an audit entry, findable by actor and by record. */
export function auditAttributes(entry: AuditEntry) {
  const { actor } = entry;
  return {
    recordType: entry.recordType,
    recordId: entry.recordId,
    event: entry.event,
    at: entry.at,
    actor: { type: actor.type, id: actor.id, role: actor.role, ...(actor.requestId ? { requestId: actor.requestId } : {}) },
    changes: entry.changes,
    ...keys.auditByActorIndex(actor.id, entry.at, entry.entryId),
    ...keys.auditByRecordIndex(entry.recordType, entry.recordId, entry.at, entry.entryId),
  };
}

/** A stand-alone audit entry, for writes whose subject has no timeline partition of its own. */
export function auditEntryItem(entry: AuditEntry): Item {
  return { ...keys.auditEntry(entry.recordType, entry.recordId, entry.at, entry.entryId), entity: 'auditEntry', ...auditAttributes(entry) };
}
