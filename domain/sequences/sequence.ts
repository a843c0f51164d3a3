import * as z from '../shared/zod';
import { longText, recordId, serverFields, shortText } from '../shared/common-fields';
import { addWordsIssues, templateIdField } from '../email/email-message';
import { knownPlaceholders, templateHelp } from '../email/email-template';
import { sendingHoursSchema, type SendingHours } from './sending-hours';

export const MAX_SEQUENCE_STEPS = 20;
/** A Standard Step Functions execution lives at most a year; the whole sequence must fit with room for retries. */
export const MAX_SEQUENCE_DAYS = 360;
const MINUTES_PER_DAY = 24 * 60;

const oneLine = shortText(200).check(z.regex(/^[^\r\n]*$/, 'one line'));

const delayMinutes = z
  .int()
  .check(z.gte(0), z.lte(MAX_SEQUENCE_DAYS * MINUTES_PER_DAY), z.meta({ description: 'Wait before this step, after enrollment (first step) or after the previous step was sent.' }));

const stepText = z.pipe(longText, z.string().check(z.trim(), z.minLength(1, 'text must not be empty'), knownPlaceholders()));

/** A task the step creates for the contact's owner (or whoever enrolled the contact) instead of an email. */
const taskStepSchema = z
  .strictObject({
    subject: oneLine.check(knownPlaceholders(), z.meta({ description: `What to do, e.g. "Call {{firstName}}". ${templateHelp}` })),
    text: z.optional(stepText.check(z.meta({ description: 'Notes on the task (its body).' }))),
    dueInMinutes: z.optional(z.int().check(z.gte(0), z.lte(MAX_SEQUENCE_DAYS * MINUTES_PER_DAY), z.meta({ description: 'Due this long after the step runs; no due time when absent.' }))),
  })
  .check(z.meta({ id: 'SequenceTask' }));

/** A step as a manager writes it: an email (its own subject and text, or a saved template's), or a task. */
export const sequenceStepInputSchema = z
  .strictObject({
    delayMinutes,
    subject: z.optional(oneLine.check(knownPlaceholders(), z.meta({ description: templateHelp }))),
    text: z.optional(stepText.check(z.meta({ description: `Plain-text body. ${templateHelp}` }))),
    templateId: z.optional(templateIdField()),
    task: z.optional(taskStepSchema),
  })
  .check(
    z.superRefine((step, context) => {
      if (step.task === undefined) return addWordsIssues(step, context);
      if (step.subject !== undefined || step.text !== undefined || step.templateId !== undefined) {
        context.addIssue({ code: 'custom', input: step, path: ['task'], message: 'a step sends an email (subject and text, or templateId) or creates a task, not both' });
      }
    }),
    z.meta({ id: 'SequenceStepInput' }),
  );
export type SequenceStepInput = z.infer<typeof sequenceStepInputSchema>;

/**
 * A step as stored and run: an email step or a task step. A template's words are copied in
 * when the sequence is saved (`templateId` says which): a template edited or deleted later
 * leaves running sequences as they were, and saving the sequence again takes the new words.
 */
const emailStepSchema = z
  .object({ delayMinutes: z.int(), subject: z.string(), text: z.string(), html: z.optional(z.string()), templateId: z.optional(z.string()) })
  .check(z.meta({ id: 'SequenceEmailStep' }));
const storedTaskStepSchema = z.object({ delayMinutes: z.int(), task: taskStepSchema }).check(z.meta({ id: 'SequenceTaskStep' }));
export const sequenceStepSchema = z.union([emailStepSchema, storedTaskStepSchema]).check(z.meta({ id: 'SequenceStep' }));
export type SequenceEmailStep = z.infer<typeof emailStepSchema>;
export type SequenceTaskStep = z.infer<typeof storedTaskStepSchema>;
export type SequenceStep = SequenceEmailStep | SequenceTaskStep;

const stepsSchema = z.array(sequenceStepInputSchema).check(
  z.minLength(1),
  z.maxLength(MAX_SEQUENCE_STEPS),
  z.superRefine((steps, context) => {
    const totalMinutes = steps.reduce((sum, step) => sum + step.delayMinutes, 0);
    if (totalMinutes > MAX_SEQUENCE_DAYS * MINUTES_PER_DAY) context.addIssue({ code: 'custom', path: [], message: `all delays together are at most ${MAX_SEQUENCE_DAYS} days` });
  }),
);

export const sequenceStatuses = ['active', 'archived'] as const;

export const createSequenceSchema = z.strictObject({ name: shortText(200), steps: stepsSchema, sendingHours: z.optional(sendingHoursSchema) }).check(z.meta({ id: 'SequenceCreate' }));
export const updateSequenceSchema = z
  .partial(
    z.strictObject({
      name: shortText(200),
      steps: stepsSchema.check(z.meta({ description: 'The full list. Running enrollments continue with their next step number in the new list.' })),
      status: z.enum(sequenceStatuses).check(z.meta({ description: 'Archived sequences take no new enrollments; running ones stop before their next step.' })),
      sendingHours: z.nullable(sendingHoursSchema).check(z.meta({ description: 'null sends at any time again.' })),
    }),
  )
  .check(
    z.refine((patch) => Object.keys(patch).length > 0, 'send at least one field'),
    z.meta({ id: 'SequenceUpdate' }),
  );

export type SequenceCreate = z.infer<typeof createSequenceSchema>;
export type SequenceUpdate = z.infer<typeof updateSequenceSchema>;

export interface Sequence {
  readonly id: string;
  readonly name: string;
  readonly steps: readonly SequenceStep[];
  readonly status: (typeof sequenceStatuses)[number];
  /** Steps run only within these; absent: at any time. */
  readonly sendingHours?: SendingHours;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const sequenceSchema = z
  .object({ ...serverFields, name: z.string(), steps: z.array(sequenceStepSchema), status: z.enum(sequenceStatuses), sendingHours: z.optional(sendingHoursSchema), createdBy: z.string() })
  .check(z.meta({ id: 'Sequence' }));

export const enrollmentStatuses = ['active', 'completed', 'stopped', 'failed'] as const;
export type EnrollmentStatus = (typeof enrollmentStatuses)[number];
export const stopReasons = ['stopped-by-user', 'sequence-archived', 'contact-deleted', 'no-email-address', 'suppressed', 'rejected', 'meeting-booked', 'deal-won', 'deal-lost', 'replied'] as const;
export type StopReason = (typeof stopReasons)[number];

/**
 * A contact's place in a sequence. Enrolling again after a run ended starts a new run (new
 * runId): from the first step after it completed or was stopped, from the step it failed
 * at after it failed (so nothing already sent is sent again).
 */
export interface Enrollment {
  readonly sequenceId: string;
  readonly contactId: string;
  readonly runId: string;
  readonly status: EnrollmentStatus;
  /** The step the run sends next (steps before it were sent or skipped). */
  readonly nextStep: number;
  /**
   * True from the write that starts a run (enrolling, or resuming a failed run) until the
   * run sends its first step: the stream filter that starts executions keys on it.
   */
  readonly starting: boolean;
  readonly stopReason?: StopReason;
  /** The error that made the run give up, for status `failed`. */
  readonly lastError?: string;
  readonly enrolledBy: string;
  readonly enrolledAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const enrollmentSchema = z
  .object({
    sequenceId: z.string(),
    contactId: z.string(),
    runId: z.string(),
    status: z.enum(enrollmentStatuses),
    nextStep: z.int(),
    starting: z.boolean(),
    stopReason: z.optional(z.enum(stopReasons)),
    lastError: z.optional(z.string()),
    enrolledBy: z.string(),
    enrolledAt: z.string(),
    updatedAt: z.string(),
    version: z.int(),
  })
  .check(z.meta({ id: 'Enrollment' }));

export const enrollSchema = z.strictObject({ contactId: recordId }).check(z.meta({ id: 'EnrollmentCreate' }));
