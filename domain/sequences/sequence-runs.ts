import { deliverEmail, findSendableContact, personalise, type EmailDependencies } from '../email/send-email';
import type { Actor } from '../shared/actor';
import { withDerivedIds } from '../shared/dependencies';
import { EmailNotSendableError } from '../shared/errors';
import type { CrmTablePort } from '../shared/table-port';
import { activityModel } from '../records/activity';
import { contactModel } from '../records/contact';
import { createRecord } from '../records/create-record';
import { findRecord, mergedInto } from '../records/get-record';
import { recordKeys } from '../shared/keys';
import type { CrmRecord } from '../records/record-model';
import type { Enrollment, Sequence, SequenceTaskStep, StopReason } from './sequence';
import { nextSendingMoment } from './sending-hours';
import { findEnrollment, findSequence, updateEnrollment } from './sequence-items';

/** The state a sequence run carries between steps (infra/state-machines/runs.ts). */
export interface SequenceRunStep {
  readonly sequenceId: string;
  readonly contactId: string;
  readonly runId: string;
  /** The step to send next. */
  readonly stepIndex: number;
}

export interface SequenceRunState extends SequenceRunStep {
  /** How long to wait before sending `stepIndex`. */
  readonly waitSeconds: number;
  /** Nothing more to send: the run ends. */
  readonly done: boolean;
}

/** Starts the workflow that runs one enrollment. Starting the same run twice must start it once. */
export interface SequenceRunStarter {
  start(run: SequenceRunState): Promise<void>;
}

/** `sent`: the step's email went; `task`: its task was made; `waiting`: outside the sequence's sending hours, it runs at the next opening. */
export type StepOutcome = 'sent' | 'task' | 'waiting' | 'resumed' | 'completed' | 'stopped' | 'stale';

const waitBefore = (sequence: Sequence, stepIndex: number) => (sequence.steps[stepIndex]?.delayMinutes ?? 0) * 60;

const ended = (run: SequenceRunStep): SequenceRunState => ({ ...run, waitSeconds: 0, done: true });

/** Called for each new run (from the stream): the run waits for its first step's delay, then sends it. */
export async function startSequenceRun(deps: { readonly table: CrmTablePort; readonly runStarter: SequenceRunStarter }, enrollment: Enrollment): Promise<'started' | 'stale'> {
  // The stream can deliver an old image late: only the enrollment's current run is started.
  const current = await findEnrollment(deps.table, enrollment.sequenceId, enrollment.contactId);
  if (!current || current.runId !== enrollment.runId || current.status !== 'active') return 'stale';
  const sequence = await findSequence(deps.table, current.sequenceId);
  const run = { sequenceId: current.sequenceId, contactId: current.contactId, runId: current.runId, stepIndex: current.nextStep };
  // A run resumed past its first step already waited for the step it failed at: it sends it
  // now. (One that failed at the first step waits its delay again: a fresh run looks the same.)
  const waitSeconds = sequence && current.nextStep === 0 ? waitBefore(sequence, 0) : 0;
  await deps.runStarter.start({ ...run, waitSeconds, done: false });
  return 'started';
}

/** Who sends a sequence's emails: the sequence, acting for whoever enrolled the contact. */
const sequenceActor = (enrollment: Enrollment): Actor => ({ type: 'system', id: `sequence:${enrollment.sequenceId}`, role: 'member', onBehalfOf: enrollment.enrolledBy });

/**
 * One step of a run: re-check everything that may have changed during the wait, send the
 * step's email, advance the enrollment and plan the next wait. Safe to run again for the
 * same step (Step Functions retries): the email is sent at most once per run and step,
 * and an enrollment already past the step just resumes from where it is.
 */
export async function runSequenceStep(deps: EmailDependencies, run: SequenceRunStep): Promise<SequenceRunState & { readonly outcome: StepOutcome }> {
  const [enrollment, sequence] = await Promise.all([findEnrollment(deps.table, run.sequenceId, run.contactId), findSequence(deps.table, run.sequenceId)]);
  if (!enrollment || enrollment.runId !== run.runId || enrollment.status !== 'active') return { ...ended(run), outcome: 'stale' };
  if (enrollment.nextStep > run.stepIndex) {
    // This step was done by an attempt whose answer was lost: carry on from the enrollment.
    return { ...run, stepIndex: enrollment.nextStep, waitSeconds: sequence ? waitBefore(sequence, enrollment.nextStep) : 0, done: false, outcome: 'resumed' };
  }
  if (!sequence || sequence.status !== 'active') return stop(deps, enrollment, run, 'sequence-archived');
  if (run.stepIndex >= sequence.steps.length) return complete(deps, enrollment, run);

  if (sequence.sendingHours) {
    const now = deps.clock.now();
    const opening = nextSendingMoment(now, sequence.sendingHours);
    if (opening > now) return { ...run, waitSeconds: Math.ceil((opening.getTime() - now.getTime()) / 1000), done: false, outcome: 'waiting' };
  }

  const step = sequence.steps[run.stepIndex]!;
  // A contact merged away: its enrollment is about to move to the survivor as a new run (moveEnrollmentsOfContact); this one just ends.
  const gone = async () =>
    mergedInto(await deps.table.getItem(recordKeys.record('contact', run.contactId))) ? { ...ended(run), outcome: 'stale' as const } : stop(deps, enrollment, run, 'contact-deleted');
  if ('task' in step) {
    const contact = await findRecord(deps, contactModel, run.contactId);
    if (!contact) return gone();
    await createStepTask(deps, contact, enrollment, run, step);
  } else {
    const found = await findSendableContact(deps, run.contactId);
    if (!found) return gone();
    if (!found.sendable) return stop(deps, enrollment, run, found.reason);
    const { contact } = found;
    try {
      await deliverEmail(
        deps,
        contact,
        {
          contactId: contact.id,
          ...(await personalise(deps, contact, step, { senderId: enrollment.enrolledBy })),
          source: { kind: 'sequence', sequenceId: run.sequenceId, runId: run.runId, stepIndex: run.stepIndex },
          ...(step.templateId ? { templateId: step.templateId } : {}),
          messageId: `${run.runId}-${run.stepIndex}`,
        },
        sequenceActor(enrollment),
      );
    } catch (error) {
      if (error instanceof EmailNotSendableError) return stop(deps, enrollment, run, error.reason);
      throw error;
    }
  }

  const nextStep = run.stepIndex + 1;
  const last = nextStep >= sequence.steps.length;
  const advanced = await updateEnrollment(deps, enrollment, (current) =>
    current.runId === run.runId && current.status === 'active' && current.nextStep === run.stepIndex ? { nextStep, starting: false, ...(last ? { status: 'completed' as const } : {}) } : undefined,
  );
  const stillRunning = advanced.runId === run.runId && advanced.status === 'active';
  return { ...run, stepIndex: nextStep, waitSeconds: waitBefore(sequence, nextStep), done: !stillRunning, outcome: 'task' in step ? 'task' : 'sent' };
}

/**
 * A task step: a task on the contact's timeline for their owner (or whoever enrolled them),
 * due after the step's `dueInMinutes`. Its ids come from the run and step, so a retried step
 * finds the task it made instead of making another. The sequence acts with a manager's
 * rights here, as managers wrote it: the task belongs to its assignee.
 */
async function createStepTask(deps: EmailDependencies, contact: CrmRecord, enrollment: Enrollment, run: SequenceRunStep, step: SequenceTaskStep): Promise<void> {
  const assigneeId = (contact.ownerId as string | undefined) ?? enrollment.enrolledBy;
  const words = await personalise(deps, contact, { subject: step.task.subject, text: step.task.text ?? '' }, { senderId: enrollment.enrolledBy });
  const dueAt = step.task.dueInMinutes === undefined ? undefined : new Date(deps.clock.now().getTime() + step.task.dueInMinutes * 60_000).toISOString();
  await createRecord(
    withDerivedIds(deps, (n) => `${run.runId}-${run.stepIndex}-t${n}`),
    activityModel,
    { kind: 'task', subject: words.subject, ...(words.text ? { body: words.text } : {}), assigneeId, ownerId: assigneeId, contactIds: [contact.id], ...(dueAt ? { dueAt } : {}) },
    { ...sequenceActor(enrollment), role: 'manager' },
  );
}

async function stop(deps: EmailDependencies, enrollment: Enrollment, run: SequenceRunStep, reason: StopReason) {
  await updateEnrollment(deps, enrollment, (current) => (current.runId === run.runId && current.status === 'active' ? { status: 'stopped', stopReason: reason } : undefined));
  return { ...ended(run), outcome: 'stopped' as const };
}

async function complete(deps: EmailDependencies, enrollment: Enrollment, run: SequenceRunStep) {
  await updateEnrollment(deps, enrollment, (current) => (current.runId === run.runId && current.status === 'active' ? { status: 'completed' } : undefined));
  return { ...ended(run), outcome: 'completed' as const };
}

/** The run gave up after its retries: the enrollment says so, with the error, instead of staying active forever. */
export async function recordRunFailure(deps: EmailDependencies, run: SequenceRunStep, error: string): Promise<void> {
  const enrollment = await findEnrollment(deps.table, run.sequenceId, run.contactId);
  if (!enrollment) return;
  await updateEnrollment(deps, enrollment, (current) => (current.runId === run.runId && current.status === 'active' ? { status: 'failed', lastError: error.slice(0, 1_000) } : undefined));
}
