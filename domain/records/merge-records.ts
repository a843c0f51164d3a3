import { requireMayChange } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { NotFoundError, UniqueValueTakenError, ValidationError } from '../shared/errors';
import { recordKeys } from '../shared/keys';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import type { Item, ItemKey, WriteOp } from '../shared/table-port';
import { zodIssues } from '../shared/zod-issues';
import { sweepDeletedRecord, tombstoneOps, type ModelLookup } from './delete-record';
import { mergedInto, namingTheHolder } from './get-record';
import type { RecordDependencies } from './record-dependencies';
import { itemToRecord } from './record-items';
import type { CrmRecord, RecordModel } from './record-model';
import { planUpdate } from './update-record';
import { inputFieldsOf } from './schema-helpers';
import { isDeduplicated } from '../duplicates/match-keys';

export interface MergeInput {
  /** The record merged away: the survivor takes everything it had. */
  readonly mergedId: string;
  /** Fields (or `properties.<name>`) whose merged-record value replaces the survivor's. */
  readonly takeFromMerged?: readonly string[];
}

export interface MergeOptions {
  readonly actor: Actor;
  /** The survivor's versions the client's If-Match names. */
  readonly ifMatch?: IfMatch;
  /** As for a delete: when it says no, the merge is already done and the stream sweeper finishes handing things over. */
  readonly hasTimeLeft?: () => boolean;
}

/** `merged`: everything is the survivor's. `pending`: the survivor has the fields; links, history, emails and enrollments are still being handed over. */
export interface MergeOutcome {
  readonly record: CrmRecord;
  readonly status: 'merged' | 'pending';
  /** Why the sweep stopped short, for the log: the merge stands either way. */
  readonly sweepError?: unknown;
}

/** The types two records of which can be one (a person twice, a firm twice): those the CRM looks for duplicates of. */
export const isMergeable = (model: RecordModel): boolean => isDeduplicated(model.type);

const SERVER_FIELDS = new Set(['id', 'createdAt', 'updatedAt', 'version']);

/**
 * Merges one record into another (two contacts that are one person, two companies that are
 * one firm), in two steps like a delete, so that a crash anywhere loses nothing:
 * 1. One transaction writes the survivor with the merged record's values where it has none
 *    (or where `takeFromMerged` says so), the union of lists (companies, tags), and takes its
 *    unique value (email, domain) if it wins; and replaces the merged record with a tombstone
 *    naming the survivor. From here on the merge has happened: a GET of the merged id says
 *    where it went, and the event `<type>.merged` goes out.
 * 2. The sweep of that tombstone (delete-record.ts) hands over what hangs off it: records that
 *    referred to it refer to the survivor, its history joins the survivor's timeline, its emails
 *    and enrollments move. Running it again changes nothing; the stream sweeper runs it to the
 *    end if this request cannot, and the same request sent again resumes it.
 */
export async function mergeRecords(deps: RecordDependencies, modelOf: ModelLookup, model: RecordModel, survivorId: string, input: MergeInput, options: MergeOptions): Promise<MergeOutcome> {
  const { actor, ifMatch } = options;
  if (input.mergedId === survivorId) throw new ValidationError('A record cannot be merged into itself.', [{ field: 'body.mergedId', message: 'must name another record' }]);
  const { record, tombstone } = await retryLostRaces(deps.clock, { resource: model.type, id: survivorId, ...(ifMatch ? { ifMatch } : {}) }, async () => {
    const [survivorItem, mergedItem] = await Promise.all([deps.table.getItem(recordKeys.record(model.type, survivorId)), deps.table.getItem(recordKeys.record(model.type, input.mergedId))]);
    const survivor = itemToRecord(survivorItem);
    if (!survivor) throw new NotFoundError(model.type, survivorId, mergedInto(survivorItem));
    if (mergedInto(mergedItem) === survivorId) {
      // Merged already, by this request sent before or by another: what is left is its sweep.
      requireMayChange(actor, survivor, 'merge');
      return { record: survivor, tombstone: mergedItem?.entity === 'tombstone' ? mergedItem : undefined };
    }
    const merged = itemToRecord(mergedItem);
    if (!merged || !mergedItem) throw noMergedRecord(model, input.mergedId, mergedItem);
    requireIfMatch(ifMatch, survivor.version);
    requireMayChange(actor, survivor, 'merge');
    requireMayChange(actor, merged, 'merge');

    const patch = mergedValues(survivor, merged, takenFields(model, merged, input.takeFromMerged ?? []));
    // The same limits as any change (10 companies, 50 tags): a joined list may exceed them.
    const checked = Object.keys(patch).length > 0 ? model.updateSchema.safeParse(patch) : undefined;
    if (checked && !checked.success) {
      const { issues } = zodIssues(checked.error, 'merged');
      throw new ValidationError(`The survivor would break a limit after the merge: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}.`, issues);
    }
    // The survivor's change is planned as any change is (who may change it, and assign it to whom).
    const { next, ops: survivorOps } = await planUpdate(deps, model, survivor, patch, actor);
    const { ops: mergedOps, tombstone: written } = tombstoneOps(deps, model, mergedItem as CrmRecord & Item, { actor, mergedInto: survivorId });
    try {
      await deps.table.transactWrite(handOverUniqueValue(markedAsMerge(survivorOps, merged.id), mergedOps));
    } catch (error) {
      throw error instanceof UniqueValueTakenError ? await namingTheHolder(deps, model, error) : error;
    }
    return { record: next, tombstone: written };
  });
  if (!tombstone) return { record, status: 'merged' };
  try {
    const outcome = await sweepDeletedRecord(deps, modelOf, model, tombstone, options.hasTimeLeft ?? (() => true));
    return { record, status: outcome === 'deleted' ? 'merged' : 'pending' };
  } catch (error) {
    // The merge happened: what the sweep could not do now, the stream sweeper does (and the same request sent again resumes it).
    return { record, status: 'pending', sweepError: error };
  }
}

function noMergedRecord(model: RecordModel, mergedId: string, item: Item | undefined): ValidationError {
  const into = mergedInto(item);
  const detail = into ? `${model.type} ${mergedId} was merged into ${into} already` : `${model.type} ${mergedId} does not exist`;
  return new ValidationError(`No ${model.type} with id ${mergedId} to merge.`, [{ field: 'body.mergedId', message: detail }]);
}

/** Each name of `takeFromMerged`, checked: a field a client sets, or `properties.<name>`, that the merged record has a value for. */
function takenFields(model: RecordModel, merged: CrmRecord, names: readonly string[]): ReadonlySet<string> {
  const fields = inputFieldsOf(model);
  const issues = names.flatMap((name, index) => {
    const [field, property] = name.startsWith('properties.') ? ['properties', name.slice('properties.'.length)] : [name, undefined];
    const value = property === undefined ? merged[field] : (merged.properties as Record<string, unknown> | undefined)?.[property];
    const problem = !fields.includes(field)
      ? `${name} is not a field a client sets; one of: ${fields.filter((known) => known !== 'properties').join(', ')}, properties.<name>`
      : value === undefined || (property === undefined && field === 'properties')
        ? `the merged record has no value for ${name}`
        : undefined;
    return problem ? [{ field: `body.takeFromMerged.${index}`, message: problem }] : [];
  });
  if (issues.length > 0) throw new ValidationError('takeFromMerged names values the merged record does not have.', issues);
  return new Set(names);
}

/**
 * The survivor's change: a value of the merged record where the survivor has none or where
 * it was asked for, lists joined (the survivor's first), custom properties key by key.
 */
export function mergedValues(survivor: CrmRecord, merged: CrmRecord, taken: ReadonlySet<string>): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(merged)) {
    if (SERVER_FIELDS.has(field)) continue;
    const current = survivor[field];
    if (field === 'properties') {
      const ours = (current as Record<string, unknown> | undefined) ?? {};
      const theirs = Object.entries(value as Record<string, unknown>).filter(([name]) => ours[name] === undefined || taken.has(`properties.${name}`));
      if (theirs.length > 0) patch.properties = Object.fromEntries(theirs);
    } else if (taken.has(field) || current === undefined) {
      if (value !== current) patch[field] = value;
    } else if (Array.isArray(value) && Array.isArray(current)) {
      const joined = [...new Set([...current, ...value])];
      if (joined.length > current.length) patch[field] = joined;
    }
  }
  return patch;
}

/** The survivor's history entry is the merge's: it names the record merged in. */
function markedAsMerge(ops: WriteOp[], mergedId: string): WriteOp[] {
  return ops.map((op) => (op.op === 'put' && op.item.entity === 'timelineChange' ? { ...op, item: { ...op.item, event: 'merged', mergedFrom: mergedId } } : op));
}

const sameKey = (a: ItemKey, b: ItemKey) => a.pk === b.pk && a.sk === b.sk;

/**
 * When the survivor takes the merged record's unique value, the guard passes from one to the
 * other in the same transaction: one unconditional put of it (a transaction may touch an item
 * once), safe because the tombstone's condition on the merged record's version proves that
 * record still holds it.
 */
function handOverUniqueValue(survivorOps: WriteOp[], mergedOps: WriteOp[]): WriteOp[] {
  const freed = mergedOps.flatMap((op) => (op.op === 'delete' ? [op.key] : []));
  const taken = survivorOps.flatMap((op) => (op.op === 'put' && freed.some((key) => sameKey(key, op.item)) ? [op.item as ItemKey] : []));
  return [
    ...survivorOps.map((op): WriteOp => (op.op === 'put' && taken.some((key) => sameKey(key, op.item)) ? { op: 'put', item: op.item } : op)),
    ...mergedOps.filter((op) => !(op.op === 'delete' && taken.some((key) => sameKey(key, op.key)))),
  ];
}
