import type * as z from '../shared/zod';
import type { ListQuery } from '../shared/key-design';
import type { ListCatalogue } from './list-views';
import type { CrmTablePort, Item, WriteOp } from '../shared/table-port';
import type { CoreDependencies } from '../shared/dependencies';
import type { Pipeline } from '../pipelines/pipeline';
import { withLazyProperties } from '../shared/built-on-first-use';

export const recordTypes = ['contact', 'company', 'deal', 'activity'] as const;
export type RecordType = (typeof recordTypes)[number];
export type RecordCollection = 'contacts' | 'companies' | 'deals' | 'activities';

/** Each record type's collection: its path under /v1 and its plural in messages. */
export const collectionOf: Readonly<Record<RecordType, RecordCollection>> = { contact: 'contacts', company: 'companies', deal: 'deals', activity: 'activities' };
/** The record type a collection name (`contacts`) stands for. */
export const typeOfCollection = (collection: RecordCollection): RecordType =>
  (Object.entries(collectionOf) as [RecordType, RecordCollection][]).find(([, name]) => name === collection)![0];

/** A stored record as the API returns it: its own fields plus the server fields. */
export type CrmRecord = { id: string; createdAt: string; updatedAt: string; version: number } & Record<string, unknown>;

/**
 * A reference from a record of this type to records of another type. Each referenced
 * record holds a link item pointing back, so "what points at X" is one Query of X's
 * partition, and deleting X can clean every reference up.
 */
export interface RecordReference {
  readonly field: string;
  readonly target: RecordType;
  readonly many: boolean;
  /** `association` links list under LINK#; `timeline` links sort into the target's timeline. */
  readonly linkKind: 'association' | 'timeline';
}

export interface UniqueField {
  readonly field: string;
  /** The canonical form compared for uniqueness (e.g. lower-cased email). */
  normalize(value: string): string;
}

/** `externalId`, unique on every record type: compared exactly, once trimmed. */
export const externalIdField: UniqueField = { field: 'externalId', normalize: (id) => id.trim() };

/** Secondary index keys a record is listed under, besides the per-type list (gsi1). */
export type RecordIndexKeys = Readonly<Record<string, string>>;

export interface DerivationContext {
  readonly now: string;
  /** True for a new record. */
  readonly isNew: boolean;
  /**
   * False for system changes (cascades): they only remove a reference and must not be
   * blocked by rules about other fields, such as a deal's pipeline having changed since.
   */
  readonly strict: boolean;
  /** Adds a condition the write's transaction must meet, on an item this record depends on. */
  guard(op: WriteOp): void;
  /** Fields this write sets explicitly, to tell a deliberate value from one carried over. */
  readonly changedFields: ReadonlySet<string>;
  /** Pipelines are looked up only by deals; the port is passed in so the domain stays I/O-free. */
  getPipeline(id: string): Promise<Pipeline | undefined>;
}

/**
 * What deleting a record does to personal data kept under its values outside what the sweep
 * deletes anyway (a contact's suppressed address, and the addresses it had before): the
 * tombstone keeps the current values (`valuesOf`) until the sweep has run `finish` on them,
 * and the sweep runs it on the earlier values its history names (`valuesInChange`) before it
 * deletes that history. `finish` is idempotent, as the sweep may run again.
 */
export interface RecordErasure {
  valuesOf(record: Record<string, unknown>): string[];
  valuesInChange(change: { readonly field: string; readonly from?: unknown; readonly to?: unknown }): string[];
  finish(table: CrmTablePort, value: string): Promise<void>;
}

export interface KeptElsewhere {
  readonly query: ListQuery;
  readonly ownedRecord?: (item: Item) => { readonly type: RecordType; readonly id: string };
}

export interface RecordModel {
  readonly type: RecordType;
  readonly collection: RecordCollection;
  /** Request body of POST: strict, so unknown and server fields are rejected. */
  readonly createSchema: z.ZodMiniType<Record<string, unknown>>;
  /** Request body of PATCH: every field optional, `null` clears an optional field. */
  readonly updateSchema: z.ZodMiniType<Record<string, unknown>>;
  /** A record as returned by the API (for the OpenAPI document). */
  readonly recordSchema: z.ZodMiniType;
  /** Query string of GET list: filters this type supports. */
  readonly listQuerySchema: z.ZodMiniType<Record<string, unknown>>;
  /** Fields no two records of the type may share, each held by a guard item; the first is what the batch route upserts on. */
  readonly uniqueFields: readonly UniqueField[];
  readonly references: readonly RecordReference[];
  /**
   * Items about the record kept outside its partition (a contact's sent emails), which a
   * delete must remove too: each query lists them, and the sweep deletes what it lists,
   * with the record each one names as its own (`ownedRecord`: the email's activity) first.
   */
  readonly keptElsewhere?: (id: string) => readonly KeptElsewhere[];
  /**
   * What a merge hands from the merged record to the survivor outside either's partition (a
   * contact's emails and sequence enrollments), where a delete would remove it (keptElsewhere).
   * Idempotent: the sweep may run again. `survivorLive` goes into each of its writes.
   */
  readonly moveElsewhere?: (deps: CoreDependencies, fromId: string, toId: string, survivorLive: WriteOp) => Promise<void>;
  /**
   * Records of these types that refer to this one and to nothing else are deleted with it,
   * not just unlinked: a person's own notes and calls are about them, and an erasure that
   * left them behind, linked to nothing, would keep their personal data. One that refers to
   * other records too only loses the link.
   */
  readonly erasesSolelyLinked?: readonly RecordType[];
  /** Personal data kept under one of the record's values outside the table's record items (a contact's suppressed address). */
  readonly erasure?: RecordErasure;
  /** Server-owned fields that follow from the others (a deal's status from its stage). */
  derive?(draft: Record<string, unknown>, context: DerivationContext): Promise<Record<string, unknown>>;
  indexKeys(record: CrmRecord): RecordIndexKeys;
  /** The filter combinations and sort orders lists of this type offer, each with its index (list-views.ts). */
  readonly lists: ListCatalogue;
}

export type RecordSchemas = Pick<RecordModel, 'createSchema' | 'updateSchema' | 'recordSchema' | 'listQuerySchema'>;

/** A record model whose schemas are built when first used (shared/built-on-first-use.ts says why). */
export function recordModel(model: Omit<RecordModel, keyof RecordSchemas | 'collection'>, schemas: { readonly [K in keyof RecordSchemas]: () => RecordSchemas[K] }): RecordModel {
  return withLazyProperties({ ...model, collection: collectionOf[model.type] }, schemas);
}
