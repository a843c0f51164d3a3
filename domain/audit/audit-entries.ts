import type { Actor } from '../shared/actor';
import { auditByActor, auditByRecord, auditEntryKey, recordKeys } from '../shared/keys';
import type { Item } from '../shared/table-port';
import type { FieldChange } from '../records/field-changes';

export const auditedTypes = ['contact', 'company', 'deal', 'activity', 'pipeline', 'property', 'sequence', 'enrollment', 'suppression', 'emailTemplate', 'team', 'workflow', 'owner', 'webhook', 'reportSettings'] as const;
export type AuditedType = (typeof auditedTypes)[number];

export interface AuditEntry {
  readonly recordType: AuditedType;
  readonly recordId: string;
  readonly at: string;
  readonly entryId: string;
  readonly actor: Actor;
  /** `merged`: the record was merged into another (its changes name which: `mergedInto`), or took another in (`mergedFrom`). */
  readonly event: 'created' | 'updated' | 'deleted' | 'merged';
  /** Field-level changes; after the record is deleted, only the field names remain. */
  readonly changes: readonly (FieldChange | ErasedFieldChange)[];
}

export interface ErasedFieldChange {
  readonly field: string;
  readonly erased: true;
}

/**
 * What outlives a deleted record of its history: who changed which fields, when, from
 * which request, without the values (which can be personal data that must be gone).
 */
export function valueFreeCopy(change: Item, recordType: AuditedType, recordId: string): Item {
  const entryId = recordKeys.changeIdOf(String(change.sk));
  return auditEntryItem({
    recordType,
    recordId,
    at: change.at as string,
    entryId,
    actor: change.actor as Actor,
    event: change.event as AuditEntry['event'],
    changes: ((change.changes as FieldChange[] | undefined) ?? []).map(({ field }) => ({ field, erased: true as const })),
  });
}

/** The attributes that make an item an audit entry, findable by actor and by record. */
export function auditAttributes(entry: AuditEntry) {
  const { actor } = entry;
  return {
    recordType: entry.recordType,
    recordId: entry.recordId,
    event: entry.event,
    at: entry.at,
    actor: { type: actor.type, id: actor.id, role: actor.role, ...(actor.requestId ? { requestId: actor.requestId } : {}), ...(actor.onBehalfOf ? { onBehalfOf: actor.onBehalfOf } : {}), ...(actor.depth ? { depth: actor.depth } : {}) },
    changes: entry.changes,
    ...auditByActor.attributes({ actorId: actor.id }, entry),
    ...auditByRecord.attributes({ recordType: entry.recordType, recordId: entry.recordId }, entry),
  };
}

/** The index keys of a stored audit entry (or timeline change), as today's declarations make them. */
export function auditIndexAttributes(item: Item) {
  const entry = { at: item.at as string, entryId: recordKeys.changeIdOf(String(item.sk)) };
  return {
    ...auditByActor.attributes({ actorId: (item.actor as Actor).id }, entry),
    ...auditByRecord.attributes({ recordType: item.recordType as string, recordId: item.recordId as string }, entry),
  };
}

/** The transaction operation that writes a stand-alone audit entry alongside the change it records. */
export const auditOp = (entry: AuditEntry) => ({ op: 'put', item: auditEntryItem(entry) }) as const;

/** The entry a stand-alone audit item holds (its id ends its sort key: auditEntryKey). */
export function auditEntryOf(item: Item): AuditEntry {
  return {
    recordType: item.recordType as AuditedType,
    recordId: item.recordId as string,
    at: item.at as string,
    entryId: String(item.sk).slice(String(item.at).length + 1),
    actor: item.actor as Actor,
    event: item.event as AuditEntry['event'],
    changes: item.changes as AuditEntry['changes'],
  };
}

/** A stand-alone audit entry, for writes whose subject has no timeline partition of its own. */
export function auditEntryItem(entry: AuditEntry): Item {
  return { ...auditEntryKey(entry.recordType, entry.recordId, entry.at, entry.entryId), entity: 'auditEntry', ...auditAttributes(entry) };
}
