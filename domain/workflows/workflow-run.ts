import type { CrmEventDetail, EventActor } from '../events/crm-events';
import type { FieldChange } from '../records/field-changes';
import type { RecordType } from '../records/record-model';
import { runsOfWorkflow, workflowRunKey } from '../shared/keys';
import type { Clock, CrmTablePort, Item } from '../shared/table-port';
import { updateVersioned } from '../shared/versioned-update';
import * as z from '../shared/zod';
import { ConflictError } from '../shared/errors';
import type { StoredWorkflowAction, WorkflowTriggerEvent } from './workflow';
import { storedValue } from '../shared/stored-item';

/**
 * One run of a workflow: what triggered it, the workflow's actions as they were when it
 * started (editing the workflow leaves it alone), where it is, and what each step did.
 * The run item is the run's memory between Step Functions tasks: the state machine only
 * carries its id.
 */

export const runStatuses = ['running', 'completed', 'stopped', 'failed'] as const;
export type RunStatus = (typeof runStatuses)[number];
/** `depth-limit`: triggered by a change of a chain of runs MAX_WORKFLOW_DEPTH deep; `record-deleted`: its record went while it ran. */
export const runStopReasons = ['depth-limit', 'record-deleted'] as const;
export type RunStopReason = (typeof runStopReasons)[number];

export interface RunStep {
  /** Where in the workflow: `2`, or `1.then.0` inside a branch. */
  readonly path: string;
  readonly type: string;
  readonly status: 'done' | 'skipped' | 'failed';
  readonly at: string;
  /** What it did or why not: the task's id, `then`/`else`, contacts skipped and why. */
  readonly detail?: string;
  readonly error?: string;
}

export interface WorkflowRun {
  readonly runId: string;
  readonly workflowId: string;
  readonly workflowVersion: number;
  /** Who wrote the workflow: a task for the owner of a record without one goes to them, and emails go out for them. */
  readonly workflowAuthor: string;
  readonly status: RunStatus;
  readonly stopReason?: RunStopReason;
  readonly error?: string;
  readonly trigger: {
    /** The event's id; for a schedule, `schedule/<period>/<record id>`. */
    readonly eventId: string;
    readonly event: WorkflowTriggerEvent | 'schedule';
    /** The record the run acts on; none for a schedule without a record selector, or a deletion. */
    readonly recordType?: RecordType;
    readonly recordId?: string;
    /** For a schedule: the period (the local date of its slot) it ran for. */
    readonly period?: string;
    readonly occurredAt: string;
    readonly actor: EventActor;
    /** The changes of the fields that `changed…` conditions of branches look at. */
    readonly changes: readonly FieldChange[];
  };
  /** How many workflow runs in a row led here (1: triggered by a person's or client's change). */
  readonly depth: number;
  readonly actions: readonly StoredWorkflowAction[];
  /** The position (workflow-program.ts) of the step to run next. */
  readonly nextStep: number;
  /** Set while a wait is in progress: a retried task waits the rest instead of skipping it. */
  readonly waitingUntil?: string;
  /** Round-robin tickets taken, by step position: a retried step keeps its assignee. */
  readonly tickets?: Readonly<Record<string, number>>;
  readonly steps: readonly RunStep[];
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly updatedAt: string;
  readonly version: number;
}

export const runToItem = (run: WorkflowRun): Item => ({
  ...workflowRunKey(run.runId),
  entity: 'workflowRun',
  ...run,
  ...runsOfWorkflow.attributes({ workflowId: run.workflowId }, { startedAt: run.startedAt, runId: run.runId }),
});

export const itemToRun = (item: Item): WorkflowRun => storedValue<WorkflowRun>(item);

export async function findRun(table: CrmTablePort, runId: string): Promise<WorkflowRun | undefined> {
  const item = await table.getItem(workflowRunKey(runId));
  return item ? itemToRun(item) : undefined;
}

/** Changes a run under optimistic locking; `change` answers undefined when there is nothing to write. */
export async function updateRun(deps: { readonly table: CrmTablePort; readonly clock: Clock }, current: WorkflowRun, change: (current: WorkflowRun) => Partial<WorkflowRun> | undefined): Promise<WorkflowRun> {
  const updated = await updateVersioned(deps, { resource: 'workflow run', id: current.runId, known: current, read: () => findRun(deps.table, current.runId), toItem: runToItem, change });
  if (!updated) throw new ConflictError(`Workflow run ${current.runId} no longer exists.`);
  return updated;
}

/** The trigger as a run keeps it, from the event's detail. */
export function runTriggerOf(detail: CrmEventDetail, event: WorkflowTriggerEvent, recordType: RecordType | undefined, keptFields: ReadonlySet<string>): WorkflowRun['trigger'] {
  return {
    eventId: detail.eventId,
    event,
    ...(recordType ? { recordType, recordId: detail.recordId } : {}),
    occurredAt: detail.occurredAt,
    actor: detail.actor,
    changes: (detail.changes ?? []).filter((change) => keptFields.has(change.field)),
  };
}

export const runSchema = z
  .object({
    runId: z.string(),
    workflowId: z.string(),
    workflowVersion: z.int(),
    workflowAuthor: z.string(),
    status: z.enum(runStatuses),
    stopReason: z.optional(z.enum(runStopReasons)),
    error: z.optional(z.string()),
    trigger: z.object({
      eventId: z.string(),
      event: z.string(),
      recordType: z.optional(z.string()),
      recordId: z.optional(z.string()),
      period: z.optional(z.string()),
      occurredAt: z.string(),
      actor: z.object({ type: z.string(), id: z.string(), onBehalfOf: z.optional(z.string()), depth: z.optional(z.int()) }),
      changes: z
        .array(z.object({ field: z.string(), from: z.unknown(), to: z.unknown() }))
        .check(z.meta({ description: "Only the changes of fields that the workflow's changed/changedTo/changedFrom branch conditions test: the event itself has them all." })),
    }),
    depth: z.int(),
    actions: z.array(z.unknown()).check(z.meta({ description: 'The workflow’s actions as they were when the run started.' })),
    nextStep: z.int(),
    waitingUntil: z.optional(z.string().check(z.meta({ description: 'Set while a wait step is in progress: the run goes on after this time (the wait step is listed as done when it began).' }))),
    tickets: z.optional(z.record(z.string(), z.int()).check(z.meta({ description: 'Round-robin tickets taken, by step position.' }))),
    steps: z.array(
      z.object({
        path: z.string(),
        type: z.string(),
        status: z.enum(['done', 'skipped', 'failed']),
        at: z.string(),
        detail: z.optional(z.string()),
        error: z.optional(z.string()),
      }),
    ),
    startedAt: z.string(),
    finishedAt: z.optional(z.string()),
    updatedAt: z.string(),
    version: z.int(),
  })
  .check(z.meta({ id: 'WorkflowRun' }));
