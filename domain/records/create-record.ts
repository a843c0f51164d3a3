import { requireCapability, requireMayAssignOwner } from '../access/permissions';
import type { Actor } from '../shared/actor';
import { requireKnownOwner } from '../owners/owners';
import type { WriteOp } from '../shared/table-port';
import { AlreadyExistsError, UniqueValueTakenError } from '../shared/errors';
import { findRecord, namingTheHolder } from './get-record';
import type { RecordDependencies } from './record-dependencies';
import type { CrmRecord, RecordModel } from './record-model';
import { planRecordWrite } from './record-writes';
import { prepareRecord } from './prepare-record';

/** A record ready to be written: the record, and every operation its creation writes or checks. */
export interface PlannedCreate {
  readonly record: CrmRecord;
  readonly ops: readonly WriteOp[];
}

/**
 * What creating a record from a validated POST body writes: the record with its guards,
 * links and first timeline entry, for one transaction. A user who names no owner owns
 * what they create.
 */
export async function planCreate(deps: RecordDependencies, model: RecordModel, input: Record<string, unknown>, actor: Actor): Promise<PlannedCreate> {
  requireCapability(actor, 'createRecords', `create ${model.collection}`);
  requireMayAssignOwner(actor, input.ownerId);
  await requireKnownOwner(deps.isOwner, actor, input.ownerId);
  await requireKnownOwner(deps.isOwner, actor, input.assigneeId, 'body.assigneeId');
  const owned = input.ownerId === undefined && actor.type === 'user' ? { ...input, ownerId: actor.id } : input;
  const now = deps.clock.now().toISOString();
  const { record, guards } = await prepareRecord(deps, model, { id: deps.ids.next(), createdAt: now, version: 1 }, owned, now);
  const { ops } = planRecordWrite({ model, after: record, actor, changeId: deps.ids.next() });
  return { record, ops: [...ops, ...guards] };
}

/**
 * Creates a record in one transaction. Run again with the same ids (an idempotent request
 * retried after a crash), it returns the record the first run created.
 */
export async function createRecord(deps: RecordDependencies, model: RecordModel, input: Record<string, unknown>, actor: Actor): Promise<CrmRecord> {
  const { record, ops } = await planCreate(deps, model, input, actor);
  try {
    await deps.table.transactWrite(ops);
    return record;
  } catch (error) {
    if (error instanceof UniqueValueTakenError) throw await namingTheHolder(deps, model, error);
    if (!(error instanceof AlreadyExistsError)) throw error;
    // Only ids derived from an Idempotency-Key repeat: this retries a create that got through, whose record is the answer.
    const existing = await findRecord(deps, model, record.id);
    if (!existing) throw error;
    return existing;
  }
}
