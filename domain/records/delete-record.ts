import { inParallel } from '../shared/in-parallel';
import { requireCapability, requireMayChange } from '../access/permissions';
import { auditOp, valueFreeCopy } from '../audit/audit-entries';
import type { Actor } from '../shared/actor';
import { systemActor } from '../shared/actor';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../shared/errors';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import { untilNoneListed } from '../shared/pagination';
import { recordKeys, recordQueries, uniqueGuardKey } from '../shared/keys';
import type { Item, ItemKey, PageKey, WriteOp } from '../shared/table-port';
import type { RecordDependencies } from './record-dependencies';
import { linkKey, referencedIds } from './record-items';
import type { CrmRecord, RecordModel, RecordType } from './record-model';
import type { FieldChange } from './field-changes';
import { changeRecord } from './update-record';
import { mergedInto as mergedIntoOf } from './get-record';

export interface DeleteOptions {
  readonly actor: Actor;
  /** The versions the client's If-Match names. */
  readonly ifMatch?: IfMatch;
  /**
   * Whether there is time left to keep sweeping in this request. When it says no, the
   * delete is already irrevocable (tombstoned) and the stream sweeper finishes it.
   */
  readonly hasTimeLeft?: () => boolean;
}

/** `deleted`: nothing of the record is left. `pending`: tombstoned; the sweep goes on in the background. */
export type DeleteOutcome = 'deleted' | 'pending';

/** Resolves a record type to its model; passed in so this module does not import every model. */
export type ModelLookup = (type: RecordType) => RecordModel;

/**
 * Deleting happens in two steps so that no failure can leave personal data behind
 * or a half-deleted record visible:
 * 1. One transaction replaces the record with a tombstone (no personal fields, out of
 *    every list) and frees its unique values. From here on it is a 404.
 * 2. A sweep removes everything that hangs off it: the links it kept in other records,
 *    its id from records that reference it, its timeline, then the tombstone itself.
 * The sweep is idempotent; if it is interrupted, deleting again resumes it.
 */
export async function deleteRecord(deps: RecordDependencies, modelOf: ModelLookup, model: RecordModel, id: string, options: DeleteOptions): Promise<DeleteOutcome> {
  const tombstone = await tombstoneRecord(deps, model, id, options);
  return sweepDeletedRecord(deps, modelOf, model, tombstone, options.hasTimeLeft ?? (() => true));
}

/**
 * Step 2 on its own, for the stream sweeper: finishes the deletion of a tombstoned
 * record. Safe to run any number of times, also alongside the request's own sweep.
 */
export async function finishDeletion(deps: RecordDependencies, modelOf: ModelLookup, type: RecordType, id: string): Promise<void> {
  const model = modelOf(type);
  const tombstone = await deps.table.getItem(recordKeys.record(type, id));
  // Gone already, a merge finished (its redirect stays), or a live record (a stray stream event): nothing to finish.
  if (!tombstone || tombstone.deletedAt === undefined || tombstone.entity === REDIRECT) return;
  await sweepDeletedRecord(deps, modelOf, model, tombstone, () => true);
}

/**
 * Step 1, returning the tombstone (written now, or found from an earlier attempt).
 * Without If-Match, losing a race to a concurrent update just means: read again and delete that.
 */
async function tombstoneRecord(deps: RecordDependencies, model: RecordModel, id: string, options: DeleteOptions): Promise<Item> {
  return retryLostRaces(deps.clock, { resource: model.type, id, ...(options.ifMatch ? { ifMatch: options.ifMatch } : {}) }, async () => {
    const item = await deps.table.getItem(recordKeys.record(model.type, id));
    if (!item) throw new NotFoundError(model.type, id);
    const survivorId = mergedIntoOf(item);
    if (survivorId) throw new NotFoundError(model.type, id, survivorId);
    if (item.deletedAt !== undefined) {
      // Resuming an interrupted sweep only finishes a delete someone was allowed to start.
      requireCapability(options.actor, 'changeOwnRecords', `delete ${model.collection}`);
      if (options.ifMatch !== undefined) throw new NotFoundError(model.type, id);
      return item;
    }
    requireMayChange(options.actor, item, `delete ${model.collection}`);
    requireIfMatch(options.ifMatch, item.version as number);
    const { ops, tombstone } = tombstoneOps(deps, model, item as unknown as CrmRecord & Item, options);
    await deps.table.transactWrite(ops);
    return tombstone;
  });
}

/**
 * The transaction that makes a record a tombstone. With `mergedInto`, the record is merged
 * away, not erased: its values live on in the survivor, so nothing is kept for erasure,
 * and the sweep hands what hangs off it to the survivor instead of removing it.
 */
export function tombstoneOps(deps: RecordDependencies, model: RecordModel, record: CrmRecord & Item, options: DeleteOptions & { readonly mergedInto?: string }): { ops: WriteOp[]; tombstone: Item } {
  const at = deps.clock.now().toISOString();
  const { mergedInto } = options;
  const erasurePending = mergedInto ? [] : (model.erasure?.valuesOf(record) ?? []);
  const tombstone: Item = {
    ...recordKeys.record(model.type, record.id),
    entity: 'tombstone',
    id: record.id,
    deletedAt: at,
    deletedBy: options.actor,
    // Only ids survive: enough to find the links this record kept elsewhere.
    outgoingLinks: model.references.flatMap((reference) =>
      referencedIds(record, reference).map((targetId) => linkKey(model, record, reference, targetId)),
    ),
    // The values the sweep still needs (model.erasure); they go with the tombstone.
    ...(erasurePending.length > 0 ? { erasurePending } : {}),
    ...(mergedInto ? { mergedInto } : {}),
  };
  const ops: WriteOp[] = [
    // Outlives the record: who deleted what, when, from which request. No field values.
    auditOp({
      recordType: model.type,
      recordId: record.id,
      at,
      entryId: deps.ids.next(),
      actor: options.actor,
      ...(mergedInto ? { event: 'merged', changes: [{ field: 'mergedInto', from: null, to: mergedInto }] } : { event: 'deleted', changes: [] }),
    }),
    { op: 'put', item: tombstone, condition: { kind: 'liveAtVersion', version: record.version }, onConditionFailed: () => new PreconditionFailedError() },
  ];
  for (const unique of model.uniqueFields) {
    const uniqueValue = record[unique.field];
    if (typeof uniqueValue === 'string') ops.push({ op: 'delete', key: uniqueGuardKey(model.type, unique.field, unique.normalize(uniqueValue)) });
  }
  return { ops, tombstone };
}

/**
 * Step 2 of a delete, and of a merge (its tombstone names `mergedInto`). A merge's sweep hands
 * everything to the survivor rather than removing it: records that referred to the merged one
 * refer to the survivor, its history joins the survivor's timeline, and what the model keeps
 * elsewhere moves (`moveElsewhere`: a contact's emails and enrollments). Its tombstone then
 * becomes a redirect to the survivor, which stays. If the survivor is gone meanwhile, the
 * sweep is a deletion's.
 */
export async function sweepDeletedRecord(deps: RecordDependencies, modelOf: ModelLookup, model: RecordModel, tombstone: Item, hasTimeLeft: () => boolean): Promise<DeleteOutcome> {
  const id = tombstone.id as string;
  const mergedInto = mergedIntoOf(tombstone);
  const survivor = mergedInto ? await liveSurvivor(deps, model, mergedInto) : undefined;
  await deps.table.deleteItems((tombstone.outgoingLinks as ItemKey[] | undefined) ?? []);
  // Changes the cascade makes to other records are audited as caused by the delete's author and request.
  const deleter = tombstone.deletedBy as Actor | undefined;
  const cascadeActor: Actor = { ...systemActor, ...(deleter ? { onBehalfOf: deleter.id, ...(deleter.requestId ? { requestId: deleter.requestId } : {}) } : {}) };

  // Passes repeat until one finds nothing: a link written behind the cursor during a pass is caught by the next.
  for (let cleaned = Infinity; cleaned > 0; ) {
    cleaned = 0;
    let startKey: PageKey | undefined;
    do {
      if (!hasTimeLeft()) return 'pending';
      const page = await deps.table.query(recordQueries.recordPartition(model.type, id), { limit: 100, ...(startKey ? { startKey } : {}) });
      const links = page.items.filter((item) => item.entity === 'link');
      await inParallel(links, DETACH_CONCURRENCY, (link) => {
        const sourceModel = modelOf(link.sourceType as RecordType);
        return survivor ? replaceReference(deps, sourceModel, link.sourceId as string, id, survivor, cascadeActor) : detachOrErase(deps, modelOf, model, sourceModel, link.sourceId as string, id, cascadeActor);
      });
      const hanging = page.items.filter((item) => item.sk !== 'RECORD');
      const history = hanging.filter((item) => item.entity === 'timelineChange');
      if (survivor) {
        // The history joins the survivor's timeline whole; its audit keys still name the merged record, so its audit trail reads as before.
        const copies = history.map((change) => ({ ...change, pk: recordKeys.record(model.type, survivor).pk, mergedFrom: id }));
        for (let start = 0; start < copies.length; start += HISTORY_PER_TRANSACTION) {
          await deps.table.transactWrite([survivorLive(model, survivor), ...copies.slice(start, start + HISTORY_PER_TRANSACTION).map((item): WriteOp => ({ op: 'put', item }))]);
        }
      } else {
        // What the history names of values kept elsewhere (an address the contact had before) is erased before the history goes.
        if (model.erasure) {
          const changes = history.flatMap((item) => (item.changes as FieldChange[] | undefined) ?? []);
          for (const value of new Set(changes.flatMap((change) => model.erasure!.valuesInChange(change)))) await model.erasure.finish(deps.table, value);
        }
        // History survives as value-free audit entries before the partition goes.
        await deps.table.putItems(history.map((change) => valueFreeCopy(change, model.type, id)));
      }
      await deps.table.deleteItems(hanging.map(({ pk, sk }) => ({ pk, sk })));
      cleaned += hanging.length;
      startKey = page.lastKey;
    } while (startKey);
  }

  if (survivor) await model.moveElsewhere?.(deps, id, survivor, survivorLive(model, survivor));
  for (const { query: list, ownedRecord } of survivor ? [] : (model.keptElsewhere?.(id) ?? [])) {
    const swept = await untilNoneListed(
      deps.table,
      list,
      25,
      async (items) => {
        if (ownedRecord) {
          await inParallel(items, DETACH_CONCURRENCY, async (item) => {
            const owned = ownedRecord(item);
            try {
              await deleteRecord(deps, modelOf, modelOf(owned.type), owned.id, { actor: cascadeActor });
            } catch (error) {
              if (!(error instanceof NotFoundError)) throw error;
            }
          });
        }
        await deps.table.deleteItems(items.map(({ pk, sk }) => ({ pk, sk })));
      },
      hasTimeLeft,
    );
    if (!swept) return 'pending';
  }

  for (const value of (tombstone.erasurePending as string[] | undefined) ?? []) await model.erasure?.finish(deps.table, value);
  if (mergedInto) {
    // Stays: GET of the merged id answers with where it went (a redirect), as HubSpot does.
    const { pk, sk, deletedAt, deletedBy } = tombstone;
    await deps.table.putItems([{ pk, sk, entity: REDIRECT, id, mergedInto, deletedAt, deletedBy }]);
  } else {
    await deps.table.deleteItems([recordKeys.record(model.type, id)]);
  }
  return 'deleted';
}

/** What a finished merge leaves of the merged record: its id and the survivor's, nothing else. */
const REDIRECT = 'redirect';

/** A transaction's history copies leave room for the survivor's check. */
const HISTORY_PER_TRANSACTION = 99;

/**
 * The check that goes into every write handing something to the survivor: if it was deleted
 * or merged away since the sweep began, nothing lands in a partition no sweep will visit
 * again; the sweep fails, and its next run finds the survivor anew (or deletes instead).
 */
function survivorLive(model: RecordModel, survivorId: string): WriteOp {
  return {
    op: 'check',
    key: recordKeys.record(model.type, survivorId),
    condition: { kind: 'live' },
    onConditionFailed: () => new ConflictError(`The survivor ${model.type} ${survivorId} is gone; the merge's sweep looks for it again.`),
  };
}

/**
 * The record a merge's links go to: the survivor, or the one it was merged into since, and so
 * on; undefined when that chain ends at a record that is gone.
 */
async function liveSurvivor(deps: RecordDependencies, model: RecordModel, survivorId: string): Promise<string | undefined> {
  for (let id = survivorId, hops = 0; hops < MAX_MERGE_HOPS; hops++) {
    const item = await deps.table.getItem(recordKeys.record(model.type, id));
    if (!item) return undefined;
    if (item.deletedAt === undefined) return id;
    const next = mergedIntoOf(item);
    if (!next) return undefined;
    id = next;
  }
  // A chain this long is a cycle or a bug, not a reason to delete what the merge should keep: the sweep fails and is retried.
  throw new Error(`More than ${MAX_MERGE_HOPS} merges from ${model.type} ${survivorId}: the merge's sweep stops here.`);
}

const MAX_MERGE_HOPS = 20;

const DETACH_CONCURRENCY = 8;

/**
 * What becomes of a record that referred to the deleted one: unlinked, or deleted itself
 * when the deleted record's model erases what refers to it alone (erasesSolelyLinked). Only
 * live records count as "elsewhere": one being deleted too (its sweep pending, or running
 * now) will not keep the record's text linked to anything. The delete is conditioned on the
 * version read, so a link added meanwhile is seen on the next read; and after unlinking, the
 * record is read again, as another erasure may have unlinked its last other link meanwhile.
 */
async function detachOrErase(deps: RecordDependencies, modelOf: ModelLookup, deletedModel: RecordModel, sourceModel: RecordModel, sourceId: string, deletedId: string, actor: Actor): Promise<void> {
  if (!deletedModel.erasesSolelyLinked?.includes(sourceModel.type)) return detachFrom(deps, sourceModel, sourceId, deletedId, actor);
  for (let unlinked = false; ; ) {
    const source = await deps.table.getItem(recordKeys.record(sourceModel.type, sourceId));
    if (!source || source.deletedAt !== undefined) return;
    const others = sourceModel.references.flatMap((reference) =>
      referencedIds(source, reference)
        .filter((targetId) => targetId !== deletedId)
        .map((targetId) => recordKeys.record(reference.target, targetId)),
    );
    const liveOthers = others.length === 0 ? [] : (await deps.table.getItems(others)).filter((target) => target.deletedAt === undefined);
    if (liveOthers.length > 0) {
      if (unlinked) return;
      await detachFrom(deps, sourceModel, sourceId, deletedId, actor);
      unlinked = true;
      continue;
    }
    try {
      await deleteRecord(deps, modelOf, sourceModel, sourceId, { actor, ifMatch: [source.version as number] });
      return;
    } catch (error) {
      if (error instanceof NotFoundError) return;
      if (!(error instanceof PreconditionFailedError)) throw error;
    }
  }
}

/** Removes a deleted record's id from every field of the referencing record that holds it. */
function detachFrom(deps: RecordDependencies, sourceModel: RecordModel, sourceId: string, deletedId: string, actor: Actor): Promise<void> {
  return replaceReference(deps, sourceModel, sourceId, deletedId, undefined, actor);
}

/**
 * Every field of the referencing record that holds `fromId` holds `toId` instead (a merge's
 * survivor, once in a list), or loses it when there is none (a deletion).
 */
async function replaceReference(deps: RecordDependencies, sourceModel: RecordModel, sourceId: string, fromId: string, toId: string | undefined, actor: Actor): Promise<void> {
  try {
    await changeRecord(
      deps,
      sourceModel,
      sourceId,
      (current) => {
        const patch: Record<string, unknown> = {};
        for (const [field, value] of Object.entries(current)) {
          if (value === fromId) patch[field] = toId ?? null;
          else if (Array.isArray(value) && value.includes(fromId)) patch[field] = [...new Set(value.flatMap((entry) => (entry === fromId ? (toId ? [toId] : []) : [entry])))];
        }
        return Object.keys(patch).length > 0 ? patch : undefined;
      },
      { actor },
    );
  } catch (error) {
    // The referencing record was deleted meanwhile: its own sweep drops the link.
    if (!(error instanceof NotFoundError)) throw error;
  }
}
