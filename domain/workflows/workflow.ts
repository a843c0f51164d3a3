import { once } from '../shared/built-on-first-use';
import { longText, recordId, serverFields, shortText, userId } from '../shared/common-fields';
import { timeOfDay, timeZone, weekdays } from '../shared/local-time';
import * as z from '../shared/zod';
import type { RecordType } from '../records/record-model';

/**
 * A workflow (`/v1/workflows`): when a record event matches its trigger, its actions run
 * in order on that record, unattended, on one state machine that reads them from the run
 * (domain/workflows/workflow-runs.ts). Managers write them; docs/automation.md explains them.
 */

/** The record events a workflow may start on (docs/events.md): changes of records, not of emails or enrollments. */
export const workflowTriggerEvents = [
  'contact.created',
  'contact.updated',
  'contact.deleted',
  'company.created',
  'company.updated',
  'company.deleted',
  'deal.created',
  'deal.updated',
  'deal.deleted',
  'deal.stage_changed',
  'deal.won',
  'deal.lost',
  'activity.created',
  'activity.updated',
  'activity.deleted',
  'task.completed',
] as const;
export type WorkflowTriggerEvent = (typeof workflowTriggerEvents)[number];

/** The type of the record an event is about (`task.completed` is about an activity). */
export const recordTypeOfEvent = (event: WorkflowTriggerEvent): RecordType => {
  const prefix = event.slice(0, event.indexOf('.'));
  return (prefix === 'task' ? 'activity' : prefix) as RecordType;
};

/**
 * How deep a chain of workflows may go: a change made by a run that a change of another run
 * triggered, and so on. A run triggered by a change this deep is recorded, stopped with
 * `depth-limit`, and runs no action, so workflows that trigger each other end.
 */
export const MAX_WORKFLOW_DEPTH = 5;
/** Actions in a workflow, those inside branches included. */
export const MAX_WORKFLOW_ACTIONS = 25;
export const MAX_CONDITIONS = 20;
/** A Standard Step Functions execution lives at most a year; waits must leave room for the rest. */
export const MAX_WAIT_MINUTES = 360 * 24 * 60;

export const conditionOperators = ['equals', 'notEquals', 'in', 'notIn', 'changed', 'changedTo', 'changedFrom', 'greaterThan', 'lessThan', 'contains', 'isEmpty', 'isNotEmpty'] as const;
export type ConditionOperator = (typeof conditionOperators)[number];
/** Operators that take no value. */
const valueless: ReadonlySet<ConditionOperator> = new Set(['changed', 'isEmpty', 'isNotEmpty']);
const listOperators: ReadonlySet<ConditionOperator> = new Set(['in', 'notIn']);

const scalar = z.union([z.string().check(z.maxLength(1_000)), z.number(), z.boolean(), z.null()]);
const fieldName = z.string().check(
  z.regex(/^([a-zA-Z][a-zA-Z0-9]{0,63}|properties\.[a-z][a-z0-9_]{0,63})$/, 'a field of the record, or properties.<name> for a custom property'),
  z.meta({ description: 'A field of the record (`stageId`), or a custom property (`properties.score`).' }),
);

export const conditionSchema = z
  .strictObject({
    field: fieldName,
    operator: z.enum(conditionOperators).check(
      z.meta({
        description:
          '`changed`, `changedTo` and `changedFrom` look at the change that triggered the run; the others at the record. Text compares without regard to case; ' +
          '`greaterThan`/`lessThan` compare numbers, and dates as ISO text; `contains` is a substring of text or an element of a list.',
      }),
    ),
    value: z.optional(z.union([scalar, z.array(scalar).check(z.maxLength(100))])),
  })
  .check(
    z.superRefine((condition, context) => {
      const needsList = listOperators.has(condition.operator);
      if (valueless.has(condition.operator)) {
        if (condition.value !== undefined) context.addIssue({ code: 'custom', input: condition, path: ['value'], message: `${condition.operator} takes no value` });
      } else if (condition.value === undefined) {
        context.addIssue({ code: 'custom', input: condition, path: ['value'], message: `${condition.operator} needs a value` });
      } else if (needsList !== Array.isArray(condition.value)) {
        context.addIssue({ code: 'custom', input: condition, path: ['value'], message: needsList ? `${condition.operator} needs a list of values` : `${condition.operator} needs a single value` });
      }
    }),
    z.meta({ id: 'WorkflowCondition' }),
  );
export type WorkflowCondition = z.infer<typeof conditionSchema>;

const conditionFields = {
  match: z.optional(z.enum(['all', 'any']).check(z.meta({ description: 'all (the default): every condition holds; any: at least one does.' }))),
  conditions: z.optional(z.array(conditionSchema).check(z.maxLength(MAX_CONDITIONS))),
};
export interface ConditionGroup {
  readonly match?: 'all' | 'any' | undefined;
  readonly conditions?: readonly WorkflowCondition[] | undefined;
}

export const MAX_STALE_DAYS = 365;
/** The dates a schedule can count from, and the type of record each belongs to. */
export const dateTriggerFields = ['expectedCloseDate', 'dueAt'] as const;
export const recordTypeOfDateField = { expectedCloseDate: 'deal', dueAt: 'activity' } as const satisfies Record<(typeof dateTriggerFields)[number], RecordType>;
const scheduleSchema = z
  .strictObject({
    every: z.enum(['day', 'week']),
    at: timeOfDay,
    timeZone,
    weekday: z.optional(z.enum(weekdays).check(z.meta({ description: 'For every: week, the day it runs.' }))),
  })
  .check(
    z.refine((schedule) => (schedule.every === 'week') === (schedule.weekday !== undefined), { message: 'a weekly schedule names its weekday, a daily one none', path: ['weekday'] }),
    z.meta({ id: 'WorkflowSchedule', description: 'Runs at this local time every day, or every week on `weekday`; at most once per period, however often it is fired.' }),
  );

/** One object for both kinds, so a 400 names the field at fault rather than "no kind of trigger matched". */
const triggerSchema = z
  .strictObject({
    event: z.optional(z.enum(workflowTriggerEvents).check(z.meta({ description: 'The record event that starts a run (docs/events.md).' }))),
    schedule: z.optional(scheduleSchema),
    staleDeals: z.optional(
      z
        .strictObject({ days: z.int().check(z.gte(1), z.lte(MAX_STALE_DAYS)) })
        .check(z.meta({ description: 'With a schedule: run once per period for each open deal with no change and nothing on its timeline for this many days (conditions filter them further).' })),
    ),
    dateField: z.optional(
      z
        .strictObject({
          field: z.enum(dateTriggerFields),
          offsetDays: z.int().check(z.gte(-MAX_STALE_DAYS), z.lte(MAX_STALE_DAYS), z.meta({ description: '-3: three days before the date; 0: on the day; 2: two days after.' })),
        })
        .check(
          z.meta({
            description:
              "With a schedule: run once per period for each open deal whose expectedCloseDate, or open task whose dueAt (a local date in the schedule's time zone), is offsetDays from the period's date.",
          }),
        ),
    ),
    ...conditionFields,
  })
  .check(
    z.superRefine((trigger, context) => {
      if ((trigger.event === undefined) === (trigger.schedule === undefined)) context.addIssue({ code: 'custom', input: trigger, path: ['event'], message: 'a trigger has an event or a schedule, one of them' });
      for (const selector of ['staleDeals', 'dateField'] as const) {
        if (trigger[selector] && trigger.event !== undefined) context.addIssue({ code: 'custom', input: trigger, path: [selector], message: `${selector} goes with a schedule` });
      }
      if (trigger.staleDeals && trigger.dateField) context.addIssue({ code: 'custom', input: trigger, path: ['dateField'], message: 'a schedule selects stale deals or records by date, not both' });
    }),
    z.meta({ id: 'WorkflowTrigger', description: 'A record event (with conditions on the record), or a schedule (alone; with staleDeals: on each stale deal; with dateField: on each deal or task whose date is near).' }),
  );
type TriggerFields = z.infer<typeof triggerSchema>;
export type EventTrigger = Omit<TriggerFields, 'event' | 'schedule' | 'staleDeals'> & { readonly event: WorkflowTriggerEvent };
export type ScheduleTrigger = Omit<TriggerFields, 'event' | 'schedule'> & { readonly schedule: NonNullable<TriggerFields['schedule']> };
export type WorkflowTrigger = EventTrigger | ScheduleTrigger;
export type WorkflowSchedule = ScheduleTrigger['schedule'];
/** A trigger as the schema parsed it: its refinement lets exactly one of event and schedule through. */
export const asTrigger = (fields: TriggerFields): WorkflowTrigger => fields as WorkflowTrigger;

/** Whether a trigger is a record event (else a schedule). */
export const isEventTrigger = (trigger: WorkflowTrigger): trigger is EventTrigger => 'event' in trigger && trigger.event !== undefined;

/** The key a workflow is found under by what starts it: its event type, or `schedule`. */
export const triggerKeyOf = (trigger: WorkflowTrigger): WorkflowTriggerEvent | 'schedule' => (isEventTrigger(trigger) ? trigger.event : 'schedule');

/** The type of record a run acts on, or none: a schedule without a record selector, or a deletion (the record is gone). */
export function recordTypeOfTrigger(trigger: WorkflowTrigger): RecordType | undefined {
  if (isEventTrigger(trigger)) return trigger.event.endsWith('.deleted') ? undefined : recordTypeOfEvent(trigger.event);
  if (trigger.dateField) return recordTypeOfDateField[trigger.dateField.field];
  return trigger.staleDeals ? 'deal' : undefined;
}

const oneLine = shortText(200).check(z.regex(/^[^\r\n]*$/, 'one line'));
const tagList = z.array(z.string().check(z.trim(), z.minLength(1), z.maxLength(50))).check(z.minLength(1), z.maxLength(50));

const assignTo = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('owner') }),
    z.strictObject({ kind: z.literal('user'), userId }),
    z.strictObject({ kind: z.literal('roundRobin'), teamId: recordId }),
  ])
  .check(
    z.meta({
      id: 'WorkflowAssignee',
      description: "owner: the record's owner (the workflow's author when it has none); user: that user; roundRobin: the team's members in turn, across all workflows.",
    }),
  );

/** The actions a workflow runs, as written; a branch holds actions of the other kinds. */
const plainActions = () =>
  [
    z.strictObject({
      type: z.literal('createTask'),
      subject: oneLine,
      text: z.optional(longText),
      dueInMinutes: z.optional(z.int().check(z.gte(0), z.lte(MAX_WAIT_MINUTES))),
      assignTo,
    }),
    z.strictObject({
      type: z.literal('updateFields'),
      fields: z.record(z.string(), z.unknown()).check(
        z.refine((fields) => Object.keys(fields).length > 0, 'at least one field'),
        z.meta({ description: "Fields to set, as the record's PATCH takes them (custom properties under `properties`)." }),
      ),
    }),
    z.strictObject({ type: z.literal('addTags'), tags: tagList }),
    z.strictObject({ type: z.literal('removeTags'), tags: tagList }),
    z.strictObject({
      type: z.literal('sendEmail'),
      templateId: recordId.check(z.meta({ description: "A saved email template; its words are copied in when the workflow is saved. Sent to the record's contacts." })),
    }),
    z.strictObject({ type: z.literal('enrollInSequence'), sequenceId: recordId.check(z.meta({ description: "The record's contacts are enrolled." })) }),
    z.strictObject({ type: z.literal('removeFromSequence'), sequenceId: recordId }),
    z
      .strictObject({
        type: z.literal('wait'),
        minutes: z.optional(z.int().check(z.gte(1), z.lte(MAX_WAIT_MINUTES))),
        until: z.optional(
          z.strictObject({
            field: fieldName.check(z.meta({ description: 'A date or time field of the record (`expectedCloseDate`, `dueAt`, a date property).' })),
            offsetMinutes: z.optional(z.int().check(z.gte(-MAX_WAIT_MINUTES), z.lte(MAX_WAIT_MINUTES), z.meta({ description: 'Negative: before the date.' }))),
          }),
        ),
      })
      .check(z.refine((wait) => (wait.minutes === undefined) !== (wait.until === undefined), 'a wait has minutes or until, one of them')),
  ] as const;

export const workflowActionInputSchema = once(() => {
  const actions = plainActions();
  const plain = z.discriminatedUnion('type', [...actions]);
  const branch = z.strictObject({
    type: z.literal('branch'),
    ...conditionFields,
    then: z.array(plain).check(z.maxLength(MAX_WORKFLOW_ACTIONS)),
    else: z.optional(z.array(plain).check(z.maxLength(MAX_WORKFLOW_ACTIONS))),
  });
  return z.discriminatedUnion('type', [...actions, branch]).check(z.meta({ id: 'WorkflowAction' }));
});
export type WorkflowActionInput = z.infer<ReturnType<typeof workflowActionInputSchema>>;
export type PlainActionInput = Exclude<WorkflowActionInput, { type: 'branch' }>;

/** A sendEmail action as stored: the template's words, copied in when the workflow was saved. */
export type StoredSendEmail = Extract<PlainActionInput, { type: 'sendEmail' }> & { readonly subject: string; readonly text: string; readonly html?: string };
export type WorkflowAction = Exclude<PlainActionInput, { type: 'sendEmail' }> | StoredSendEmail;
export interface WorkflowBranch extends ConditionGroup {
  readonly type: 'branch';
  readonly then: readonly WorkflowAction[];
  readonly else?: readonly WorkflowAction[];
}
export type StoredWorkflowAction = WorkflowAction | WorkflowBranch;

export interface Workflow {
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  readonly enabled: boolean;
  /** When it was last enabled: events from before it start nothing (an archive replay, a late delivery). */
  readonly enabledAt?: string;
  readonly trigger: WorkflowTrigger;
  readonly actions: readonly StoredWorkflowAction[];
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const workflowSchemas = once(() => {
  const actions = z.array(workflowActionInputSchema()).check(
    z.minLength(1),
    z.refine(
      (list) => list.reduce((count, action) => count + (action.type === 'branch' ? 1 + action.then.length + (action.else?.length ?? 0) : 1), 0) <= MAX_WORKFLOW_ACTIONS,
      `at most ${MAX_WORKFLOW_ACTIONS} actions, those in branches included`,
    ),
  );
  const fields = {
    name: shortText(200),
    description: z.optional(shortText(2_000)),
    enabled: z.optional(z.boolean().check(z.meta({ description: 'Only enabled workflows start runs; true unless sent.' }))),
    trigger: triggerSchema,
    actions,
  };
  return {
    create: z.strictObject(fields).check(z.meta({ id: 'WorkflowCreate' })),
    update: z
      .partial(z.strictObject(fields))
      .check(
        z.refine((patch) => Object.keys(patch).length > 0, 'send at least one field'),
        z.meta({ id: 'WorkflowUpdate', description: 'Runs in flight finish on the version they started with.' }),
      ),
    workflow: z
      .object({
        ...serverFields,
        name: z.string(),
        description: z.optional(z.string()),
        enabled: z.boolean(),
        enabledAt: z.optional(z.string()),
        trigger: triggerSchema,
        actions: z.array(z.unknown()).check(z.meta({ description: 'As written; a sendEmail action also carries the words copied from its template.' })),
        createdBy: z.string(),
      })
      .check(z.meta({ id: 'Workflow' })),
  };
});
type Schemas = ReturnType<typeof workflowSchemas>;
export type WorkflowCreate = z.infer<Schemas['create']>;
export type WorkflowUpdate = z.infer<Schemas['update']>;
