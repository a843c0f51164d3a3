import { requireCapability } from '../access/permissions';
import { emailContentOf } from '../email/email-templates';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import type { IfMatch } from '../shared/optimistic-retry';
import type { Sequence, SequenceCreate, SequenceStep, SequenceStepInput, SequenceUpdate } from './sequence';
import { sequenceDocuments } from './sequence-items';

export type SequenceDependencies = CoreDependencies;

/** A sequence emails customers unattended, in the company's name: managers decide what it says. */
const MANAGE = 'changeAnyRecord' as const;

/** Sequences are read by every role that reads (none is deleted: they are archived). */
export const { get: getSequence, list: listSequences } = sequenceDocuments.useCases(MANAGE);

/** Steps as stored: a template's words copied in (a 400 naming the step when it names no template). */
const storedSteps = (deps: SequenceDependencies, steps: readonly SequenceStepInput[], field: string): Promise<SequenceStep[]> =>
  Promise.all(
    steps.map(async (step, index) =>
      step.task ? { delayMinutes: step.delayMinutes, task: step.task } : { delayMinutes: step.delayMinutes, ...(await emailContentOf(deps, step, `${field}.${index}.templateId`)) },
    ),
  );

export async function createSequence(deps: SequenceDependencies, input: SequenceCreate, actor: Actor): Promise<Sequence> {
  requireCapability(actor, MANAGE, 'create sequences');
  const now = deps.clock.now().toISOString();
  const steps = await storedSteps(deps, input.steps, 'body.steps');
  const sequence: Sequence = { id: deps.ids.next(), name: input.name, steps, status: 'active', ...(input.sendingHours ? { sendingHours: input.sendingHours } : {}), createdBy: actor.id, createdAt: now, updatedAt: now, version: 1 };
  return sequenceDocuments.create(deps, sequence, actor);
}

export const requireSequence = (deps: Pick<SequenceDependencies, 'table'>, id: string): Promise<Sequence> => sequenceDocuments.require(deps, id);



export async function updateSequence(deps: SequenceDependencies, id: string, patch: SequenceUpdate, actor: Actor, ifMatch?: IfMatch): Promise<Sequence> {
  requireCapability(actor, MANAGE, 'change sequences');
  const { steps, sendingHours, ...rest } = patch;
  return sequenceDocuments.update(deps, id, actor, ifMatch, async (current) => {
    const { sendingHours: currentHours, ...kept } = current;
    // null lifts the hours; absent keeps them.
    const hours = sendingHours === undefined ? currentHours : (sendingHours ?? undefined);
    return { ...kept, ...rest, ...(hours ? { sendingHours: hours } : {}), ...(steps ? { steps: await storedSteps(deps, steps, 'body.steps') } : {}) };
  });
}
