import { requireCapability, requireMayChange } from '../access/permissions';
import { auditEntryItem } from '../audit/audit-entries';
import type { Actor } from '../shared/actor';
import { systemActor } from '../shared/actor';
import { NotFoundError, PreconditionFailedError } from '../shared/errors';
import { accessPatterns, keys } from '../shared/keys';
import type { Item, ItemKey, PageKey, WriteOp } from '../shared/table-port';
import type { RecordDependencies } from './record-dependencies';
import { linkKey, referencedIds } from './record-items';
import type { CrmRecord, RecordModel, RecordType } from './record-model';
import { changeRecord } from './update-record';

export interface DeleteOptions {
  readonly actor: Actor;
  readonly expectedVersion?: number;
}

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
export async function deleteRecord(deps: RecordDependencies, modelOf: ModelLookup, model: RecordModel, id: string, options: DeleteOptions): Promise<void> {
  const item = await deps.table.getItem(keys.record(model.type, id));
  if (!item) throw new NotFoundError(model.type, id);
  if (item.deletedAt === undefined) {
    requireMayChange(options.actor, item, `delete ${model.collection}`);
    if (options.expectedVersion !== undefined && options.expectedVersion !== item.version) throw new PreconditionFailedError(item.version as number);
    await deps.table.transactWrite(tombstoneOps(deps, model, item as unknown as CrmRecord & Item, options));
  } else {
    // Resuming an interrupted sweep only finishes a delete someone was allowed to start.
    requireCapability(options.actor, 'changeOwnRecords', `delete ${model.collection}`);
    if (options.expectedVersion !== undefined) throw new NotFoundError(model.type, id);
  }
  await sweepDeletedRecord(deps, modelOf, model, id);
}

function tombstoneOps(deps: RecordDependencies, model: RecordModel, record: CrmRecord & Item, options: DeleteOptions): WriteOp[] {
  const at = deps.clock.now().toISOString();
  const ops: WriteOp[] = [
    // Outlives the record: who deleted what, when, from which request. No field values.
    { op: 'put', item: auditEntryItem({ recordType: model.type, recordId: record.id, at, entryId: deps.ids.next(), actor: options.actor, event: 'deleted', changes: [] }) },
    {
      op: 'put',
      item: {
        ...keys.record(model.type, record.id),
        entity: 'tombstone',
        id: record.id,
        deletedAt: at,
        deletedBy: options.actor,
        // Only ids survive: enough to find the links this record kept elsewhere.
        outgoingLinks: model.references.flatMap((reference) =>
          referencedIds(record, reference).map((targetId) => linkKey(model, record, reference, targetId)),
        ),
      },
      condition: { kind: 'liveAtVersion', version: record.version },
      onConditionFailed: () => new PreconditionFailedError(),
    },
  ];
  const unique = model.uniqueField;
  const uniqueValue = unique ? record[unique.field] : undefined;
  if (unique && typeof uniqueValue === 'string') {
    ops.push({ op: 'delete', key: keys.uniqueGuard(model.type, unique.field, unique.normalize(uniqueValue)) });
  }
  return ops;
}

async function sweepDeletedRecord(deps: RecordDependencies, modelOf: ModelLookup, model: RecordModel, id: string): Promise<void> {
  const tombstone = await deps.table.getItem(keys.record(model.type, id));
  if (!tombstone) return;
  await deps.table.deleteItems((tombstone.outgoingLinks as ItemKey[] | undefined) ?? []);

  let startKey: PageKey | undefined;
  do {
    const page = await deps.table.query(accessPatterns.recordPartition(model.type, id), { limit: 100, ...(startKey ? { startKey } : {}) });
    for (const link of page.items.filter((item) => item.entity === 'link')) {
      await detachFrom(deps, modelOf(link.sourceType as RecordType), link.sourceId as string, id);
    }
    await deps.table.deleteItems(page.items.filter((item) => item.sk !== 'RECORD').map(({ pk, sk }) => ({ pk, sk })));
    startKey = page.lastKey;
  } while (startKey);

  await deps.table.deleteItems([keys.record(model.type, id)]);
}

/** Removes a deleted record's id from every field of the referencing record that holds it. */
async function detachFrom(deps: RecordDependencies, sourceModel: RecordModel, sourceId: string, deletedId: string): Promise<void> {
  try {
    await changeRecord(
      deps,
      sourceModel,
      sourceId,
      (current) => {
        const patch: Record<string, unknown> = {};
        for (const [field, value] of Object.entries(current)) {
          if (value === deletedId) patch[field] = null;
          else if (Array.isArray(value) && value.includes(deletedId)) patch[field] = value.filter((entry) => entry !== deletedId);
        }
        return Object.keys(patch).length > 0 ? patch : undefined;
      },
      { actor: systemActor },
    );
  } catch (error) {
    // The referencing record was deleted meanwhile: its own sweep drops the link.
    if (!(error instanceof NotFoundError)) throw error;
  }
}
