import { requireMayAssignOwner, requireMayChange, requireMayReassign } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { requireKnownOwner } from '../owners/owners';
import { NotFoundError, UniqueValueTakenError } from '../shared/errors';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import type { RecordDependencies } from './record-dependencies';
import { namingTheHolder, requireRecord } from './get-record';
import type { CrmRecord, RecordModel } from './record-model';
import { planRecordWrite } from './record-writes';
import { prepareRecord } from './prepare-record';
import type { WriteOp } from '../shared/table-port';
import type { FieldChange } from './field-changes';

export interface ChangeOptions {
  readonly actor: Actor;
  /** The versions the client's If-Match names. When given, any other version is a 412, not a retry. */
  readonly ifMatch?: IfMatch;
}

/**
 * Read, change, write back conditioned on the version read. Without If-Match the
 * client asked for "apply my change", so a concurrent writer just means: read again
 * and reapply. `patchFor` sees the current record and returns the change to apply,
 * or undefined when there is nothing to do.
 */
export async function changeRecord(
  deps: RecordDependencies,
  model: RecordModel,
  id: string,
  patchFor: (current: CrmRecord) => Record<string, unknown> | undefined,
  options: ChangeOptions,
): Promise<CrmRecord> {
  return retryLostRaces(deps.clock, { resource: model.type, id, ...(options.ifMatch ? { ifMatch: options.ifMatch } : {}) }, async () => {
    const current = await requireRecord(deps, model, id);
    requireIfMatch(options.ifMatch, current.version);
    const patch = patchFor(current);
    if (!patch) {
      requireMayChange(options.actor, current, `change ${model.collection}`);
      return current;
    }
    const { next, ops, changes } = await planUpdate(deps, model, current, patch, options.actor);
    if (changes.length === 0) return current;
    try {
      await deps.table.transactWrite(ops);
    } catch (error) {
      throw error instanceof UniqueValueTakenError ? await namingTheHolder(deps, model, error) : error;
    }
    return next;
  });
}

export function updateRecord(deps: RecordDependencies, model: RecordModel, id: string, patch: Record<string, unknown>, options: ChangeOptions) {
  return changeRecord(deps, model, id, () => patch, options);
}

/**
 * What applying `patch` to `current` would write, after the checks a change makes (who may
 * change the record, and assign it): the next record, the transaction, and the fields that
 * change (none: the write would change nothing). Nothing is written: a dry run asks this too.
 */
export async function planUpdate(
  deps: RecordDependencies,
  model: RecordModel,
  current: CrmRecord,
  patch: Record<string, unknown>,
  actor: Actor,
): Promise<{ readonly next: CrmRecord; readonly ops: WriteOp[]; readonly changes: readonly FieldChange[] }> {
  requireMayChange(actor, current, `change ${model.collection}`);
  if ('ownerId' in patch && patch.ownerId !== current.ownerId) {
    requireMayAssignOwner(actor, patch.ownerId ?? null, current);
    await requireKnownOwner(deps.isOwner, actor, patch.ownerId);
  }
  if ('assigneeId' in patch && patch.assigneeId !== current.assigneeId) {
    requireMayReassign(actor, current);
    await requireKnownOwner(deps.isOwner, actor, patch.assigneeId, 'body.assigneeId');
  }
  const now = deps.clock.now().toISOString();
  const strict = actor.type !== 'system';
  const { record: next, guards } = await prepareRecord(deps, model, { ...current, version: current.version + 1 }, patch, now, strict);
  const { ops, changes } = planRecordWrite({ model, before: current, after: next, actor, changeId: deps.ids.next() });
  return { next, ops: [...ops, ...guards], changes };
}
