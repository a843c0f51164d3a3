import { requireCapability } from '../access/permissions';
import { auditOp } from '../audit/audit-entries';
import { changedFields } from '../records/field-changes';
import type { Page } from '../shared/page';
import type { Actor } from '../shared/actor';
import { AlreadyExistsError, NotFoundError, PreconditionFailedError } from '../shared/errors';
import { recordsByType } from '../shared/keys';
import type { PageRequest } from '../shared/page';
import { listPage } from '../shared/pagination';
import type { CoreDependencies } from '../shared/dependencies';
import { requireIfMatch, retryLostRaces, type IfMatch } from '../shared/optimistic-retry';
import { emailContentOf } from '../email/email-templates';
import type { Sequence, SequenceCreate, SequenceStep, SequenceStepInput, SequenceUpdate } from './sequence';
import { findSequence, itemToSequence, sequenceToItem } from './sequence-items';

export type SequenceDependencies = CoreDependencies;

/** A sequence emails customers unattended, in the company's name: managers decide what it says. */
const MANAGE = 'changeAnyRecord' as const;

/** Steps as stored: a template's words copied in (a 400 naming the step when it names no template). */
const storedSteps = (deps: SequenceDependencies, steps: readonly SequenceStepInput[], field: string): Promise<SequenceStep[]> =>
  Promise.all(steps.map(async (step, index) => ({ delayMinutes: step.delayMinutes, ...(await emailContentOf(deps, step, `${field}.${index}.templateId`)) })));

export async function createSequence(deps: SequenceDependencies, input: SequenceCreate, actor: Actor): Promise<Sequence> {
  requireCapability(actor, MANAGE, 'create sequences');
  const now = deps.clock.now().toISOString();
  const steps = await storedSteps(deps, input.steps, 'body.steps');
  const sequence: Sequence = { id: deps.ids.next(), name: input.name, steps, status: 'active', createdBy: actor.id, createdAt: now, updatedAt: now, version: 1 };
  try {
    await deps.table.transactWrite([
      { op: 'put', item: sequenceToItem(sequence), condition: { kind: 'absent' }, onConditionFailed: () => new AlreadyExistsError('sequence', sequence.id) },
      auditOp({ recordType: 'sequence', recordId: sequence.id, at: now, entryId: deps.ids.next(), actor, event: 'created', changes: changedFields<Partial<Sequence>>({}, sequence, ['name', 'steps', 'status']) }),
    ]);
    return sequence;
  } catch (error) {
    // Only ids derived from an Idempotency-Key repeat: a retried create finds the sequence it made.
    const existing = error instanceof AlreadyExistsError ? await findSequence(deps.table, sequence.id) : undefined;
    if (!existing) throw error;
    return existing;
  }
}

export async function requireSequence(deps: Pick<SequenceDependencies, 'table'>, id: string): Promise<Sequence> {
  const sequence = await findSequence(deps.table, id);
  if (!sequence) throw new NotFoundError('sequence', id);
  return sequence;
}

export async function getSequence(deps: SequenceDependencies, id: string, actor: Actor): Promise<Sequence> {
  requireCapability(actor, 'readRecords', 'read sequences');
  return requireSequence(deps, id);
}

export async function listSequences(deps: SequenceDependencies, page: PageRequest, actor: Actor): Promise<Page<Sequence>> {
  requireCapability(actor, 'readRecords', 'list sequences');
  return listPage(deps.table, recordsByType.query({ type: 'sequence' }), page, itemToSequence);
}

export async function updateSequence(deps: SequenceDependencies, id: string, patch: SequenceUpdate, actor: Actor, ifMatch?: IfMatch): Promise<Sequence> {
  requireCapability(actor, MANAGE, 'change sequences');
  return retryLostRaces(deps.clock, { resource: 'sequence', id, ...(ifMatch ? { ifMatch } : {}) }, async () => {
    const current = await requireSequence(deps, id);
    requireIfMatch(ifMatch, current.version);
    const { steps, ...rest } = patch;
    const next: Sequence = { ...current, ...rest, ...(steps ? { steps: await storedSteps(deps, steps, 'body.steps') } : {}), updatedAt: deps.clock.now().toISOString(), version: current.version + 1 };
    await deps.table.transactWrite([
      { op: 'put', item: sequenceToItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
      auditOp({ recordType: 'sequence', recordId: id, at: next.updatedAt, entryId: deps.ids.next(), actor, event: 'updated', changes: changedFields(current, next, ['name', 'steps', 'status']) }),
    ]);
    return next;
  });
}
