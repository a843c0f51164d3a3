import { requireMayAssignOwner, requireMayChange, requireMayReassign } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { requireKnownOwner } from '../owners/owners';
import { NotFoundError, UniqueValueTakenError } from '../shared/errors';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import type { RecordDependencies } from './record-dependencies';
import { findRecord, namingTheHolder } from './get-record';
import type { CrmRecord, RecordModel } from './record-model';
import { planRecordWrite } from './record-writes';
import { prepareRecord } from './prepare-record';

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
    const current = await findRecord(deps, model, id);
    if (!current) throw new NotFoundError(model.type, id);
    requireIfMatch(options.ifMatch, current.version);
    requireMayChange(options.actor, current, `change ${model.collection}`);
    const patch = patchFor(current);
    if (!patch) return current;
    if ('ownerId' in patch && patch.ownerId !== current.ownerId) {
      requireMayAssignOwner(options.actor, patch.ownerId ?? null, current);
      await requireKnownOwner(deps.isOwner, options.actor, patch.ownerId);
    }
    if ('assigneeId' in patch && patch.assigneeId !== current.assigneeId) {
      requireMayReassign(options.actor, current);
      await requireKnownOwner(deps.isOwner, options.actor, patch.assigneeId, 'body.assigneeId');
    }
    const now = deps.clock.now().toISOString();
    const strict = options.actor.type !== 'system';
    const { record: next, guards } = await prepareRecord(deps, model, { ...current, version: current.version + 1 }, patch, now, strict);
    const { ops, changes } = planRecordWrite({ model, before: current, after: next, actor: options.actor, changeId: deps.ids.next() });
    if (changes.length === 0) return current;
    try {
      await deps.table.transactWrite([...ops, ...guards]);
    } catch (error) {
      throw error instanceof UniqueValueTakenError ? await namingTheHolder(deps, model, error) : error;
    }
    return next;
  });
}

export function updateRecord(deps: RecordDependencies, model: RecordModel, id: string, patch: Record<string, unknown>, options: ChangeOptions) {
  return changeRecord(deps, model, id, () => patch, options);
}
