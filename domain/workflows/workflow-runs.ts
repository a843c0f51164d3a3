import { createHash } from 'node:crypto';
import { requireCapability } from '../access/permissions';
import type { EmailDependencies } from '../email/send-email';
import type { CrmEventDetail } from '../events/crm-events';
import { findRecord } from '../records/get-record';
import type { CrmRecord } from '../records/record-model';
import { modelOf } from '../records/record-models';
import type { Actor } from '../shared/actor';
import type { CoreDependencies } from '../shared/dependencies';
import { AlreadyExistsError, ConflictError, ContentionError, CrmError, NotFoundError, ServiceUnavailableError } from '../shared/errors';
import { partitionQueries } from '../shared/key-design';
import { runsOfWorkflow, workflowPeriodKey, workflowsByTrigger } from '../shared/keys';
import type { Page, PageRequest } from '../shared/page';
import { forEachQueryPage, listPage } from '../shared/pagination';
import type { CrmTablePort } from '../shared/table-port';
import { MAX_WORKFLOW_DEPTH, recordTypeOfTrigger, workflowTriggerEvents, type ScheduleTrigger, type StoredWorkflowAction, type Workflow, type WorkflowTriggerEvent } from './workflow';
import { currentSlot, periodMarkerExpiry, recordsOnDate, slotIsAfter, staleDeals } from './workflow-schedules';
import { performAction, takeTicket, waitSecondsOf } from './workflow-actions';
import { meetsConditions } from './workflow-conditions';
import { compileWorkflow } from './workflow-program';
import { findRun, itemToRun, runToItem, runTriggerOf, updateRun, type RunStep, type WorkflowRun } from './workflow-run';
import { itemToWorkflow, workflowDocuments } from './workflows';

/** What the workflow-run state machine carries between tasks (infra/state-machines/runs.ts). */
export interface WorkflowRunState {
  readonly runId: string;
  readonly waitSeconds: number;
  readonly done: boolean;
}

/** Starts the execution of a run, named after it: starting the same run twice starts it once. */
export interface WorkflowRunStarter {
  start(run: WorkflowRunState): Promise<void>;
}

/**
 * One run per workflow and event, whatever delivers the event how often: the id is derived
 * from both, and names the run's item and its execution. Letters, digits, - and _ only
 * (Step Functions execution names, URL paths).
 */
export const runIdOf = (workflowId: string, eventId: string) => createHash('sha256').update(`${workflowId}\n${eventId}`).digest('base64url').slice(0, 32);

const isTriggerEvent = (type: string): type is WorkflowTriggerEvent => (workflowTriggerEvents as readonly string[]).includes(type);

/** The fields whose changes a run must keep: those of its branches' `changed…` conditions. */
function fieldsOfChangeConditions(actions: readonly StoredWorkflowAction[]): Set<string> {
  const fields = new Set<string>();
  for (const action of actions) {
    if (action.type !== 'branch') continue;
    for (const condition of action.conditions ?? []) if (condition.operator.startsWith('changed')) fields.add(condition.field);
  }
  return fields;
}

/** How deep the chain of runs is that a change made (0: a person, a client or the system made it). */
const depthOf = (detail: CrmEventDetail) => (detail.actor.type === 'workflow' ? (detail.actor.depth ?? 1) : 0);

/** `already-started`: the run existed (a redelivered or replayed event); its execution was started again, which Step Functions ignores. */
export type TriggerOutcome = 'started' | 'already-started' | 'not-matched' | 'before-enabled' | 'depth-limit';

type RunStarting = CoreDependencies & { readonly runStarter: WorkflowRunStarter };

/**
 * Writes a run of the workflow and starts its execution. The run is written first, then
 * its execution started; a second start (a redelivered event, a schedule fired again) finds
 * the run and starts the execution again, which Step Functions ignores (same name), so a
 * crash in between loses nothing and doubles nothing. A run deeper than the limit is
 * written stopped, and not started.
 */
async function startRun(deps: RunStarting, workflow: Workflow, trigger: WorkflowRun['trigger'], depth: number): Promise<{ readonly runId: string; readonly outcome: TriggerOutcome }> {
  const runId = runIdOf(workflow.id, trigger.eventId);
  const now = deps.clock.now().toISOString();
  const tooDeep = depth > MAX_WORKFLOW_DEPTH;
  const run: WorkflowRun = {
    runId,
    workflowId: workflow.id,
    workflowVersion: workflow.version,
    workflowAuthor: workflow.createdBy,
    status: tooDeep ? 'stopped' : 'running',
    ...(tooDeep ? { stopReason: 'depth-limit' as const, finishedAt: now } : {}),
    trigger,
    depth,
    actions: workflow.actions,
    nextStep: 0,
    steps: [],
    startedAt: now,
    updatedAt: now,
    version: 1,
  };
  let existed = false;
  try {
    await deps.table.transactWrite([{ op: 'put', item: runToItem(run), condition: { kind: 'absent' }, onConditionFailed: () => new AlreadyExistsError('workflow run', runId) }]);
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    existed = true;
  }
  const current = existed ? (await findRun(deps.table, runId))! : run;
  if (current.status === 'running') await deps.runStarter.start({ runId, waitSeconds: 0, done: false });
  if (current.status === 'stopped' && current.stopReason === 'depth-limit') return { runId, outcome: 'depth-limit' };
  return { runId, outcome: existed ? 'already-started' : 'started' };
}

/** Enabled workflows started by `key` (an event type, or `schedule`), through workflowsByTrigger. */
async function enabledWorkflows(table: CrmTablePort, key: WorkflowTriggerEvent | 'schedule'): Promise<Workflow[]> {
  const workflows: Workflow[] = [];
  for (const query of partitionQueries(workflowsByTrigger.query({ eventType: key }))) {
    await forEachQueryPage(table, query, 100, (items) => void workflows.push(...items.map(itemToWorkflow)));
  }
  return workflows.filter((workflow) => workflow.enabled);
}

/**
 * Called for every record event on the bus: starts a run of each enabled workflow whose
 * trigger it meets (startRun says how a run starts once).
 */
export async function startWorkflowRuns(deps: RunStarting, detail: CrmEventDetail): Promise<{ readonly workflowId: string; readonly runId?: string; readonly outcome: TriggerOutcome }[]> {
  if (!isTriggerEvent(detail.type)) return [];
  const event = detail.type;
  const workflows = await enabledWorkflows(deps.table, event);
  if (workflows.length === 0) return [];

  const recordType = recordTypeOfTrigger({ event });
  // An event too large to carry its record names it: read it (a deletion carries none, and needs none).
  let record: Record<string, unknown> | undefined = detail.record;
  if (!record && detail.truncated && recordType) record = await findRecord(deps, modelOf(recordType), detail.recordId);
  const subject = { record: record ?? {}, changes: detail.changes ?? [] };
  const depth = depthOf(detail) + 1;
  const outcomes = [];
  for (const workflow of workflows) {
    if (!workflow.enabledAt || detail.occurredAt < workflow.enabledAt) {
      outcomes.push({ workflowId: workflow.id, outcome: 'before-enabled' as const });
      continue;
    }
    if (!meetsConditions(workflow.trigger, subject)) {
      outcomes.push({ workflowId: workflow.id, outcome: 'not-matched' as const });
      continue;
    }
    const trigger = runTriggerOf(detail, event, recordType, fieldsOfChangeConditions(workflow.actions));
    outcomes.push({ workflowId: workflow.id, ...(await startRun(deps, workflow, trigger, depth)) });
  }
  return outcomes;
}

export type ScheduleOutcome = 'fired' | 'not-due' | 'before-enabled' | 'already-fired';

/**
 * Called by the stage's schedule (EventBridge Scheduler, every few minutes) with the time it
 * was scheduled for: each enabled scheduled workflow whose slot has come fires for its
 * current period (the local date of the slot), once, with one run per stale deal (or one
 * run, without a record selector). Runs are named after workflow, period and record, so a
 * tick retried or fired twice starts nothing twice; a marker per period spares later ticks
 * the search. Deals are found through openDealsByUpdate, never a Scan (workflow-schedules.ts).
 */
export async function fireScheduledWorkflows(deps: RunStarting, scheduledTime: Date): Promise<{ readonly workflowId: string; readonly period?: string; readonly runs: number; readonly outcome: ScheduleOutcome }[]> {
  const outcomes = [];
  for (const workflow of await enabledWorkflows(deps.table, 'schedule')) {
    const trigger = workflow.trigger as ScheduleTrigger;
    const slot = currentSlot(trigger.schedule, scheduledTime);
    if (!slot) {
      outcomes.push({ workflowId: workflow.id, runs: 0, outcome: 'not-due' as const });
      continue;
    }
    if (!workflow.enabledAt || !slotIsAfter(slot, new Date(workflow.enabledAt), trigger.schedule.timeZone)) {
      outcomes.push({ workflowId: workflow.id, period: slot.period, runs: 0, outcome: 'before-enabled' as const });
      continue;
    }
    if (await deps.table.getItem(workflowPeriodKey(workflow.id, slot.period))) {
      outcomes.push({ workflowId: workflow.id, period: slot.period, runs: 0, outcome: 'already-fired' as const });
      continue;
    }
    const occurredAt = scheduledTime.toISOString();
    const recordType = recordTypeOfTrigger(trigger);
    const runTrigger = (recordId?: string): WorkflowRun['trigger'] => ({
      eventId: `schedule/${slot.period}/${recordId ?? '-'}`,
      event: 'schedule',
      ...(recordId && recordType ? { recordType, recordId } : {}),
      period: slot.period,
      occurredAt,
      actor: { type: 'system', id: 'schedule' },
      changes: [],
    });
    let runs = 0;
    const records = trigger.staleDeals
      ? await staleDeals(deps, trigger.staleDeals.days, scheduledTime)
      : trigger.dateField
        ? await recordsOnDate(deps, trigger.dateField, slot.period, trigger.schedule.timeZone)
        : undefined;
    if (records) {
      for (const record of records) {
        if (!meetsConditions(trigger, { record, changes: [] })) continue;
        await startRun(deps, workflow, runTrigger(record.id), 1);
        runs++;
      }
    } else {
      await startRun(deps, workflow, runTrigger(), 1);
      runs++;
    }
    await deps.table.putItems([{ ...workflowPeriodKey(workflow.id, slot.period), entity: 'workflowPeriod', runs, firedAt: deps.clock.now().toISOString(), expiresAt: periodMarkerExpiry(scheduledTime) }]);
    outcomes.push({ workflowId: workflow.id, period: slot.period, runs, outcome: 'fired' as const });
  }
  return outcomes;
}

/**
 * Who a run acts as: the workflow, with a manager's rights (managers wrote it), for whoever
 * caused the trigger, one level deeper than the change that triggered it.
 */
const runActor = (run: WorkflowRun): Actor => ({ type: 'workflow', id: run.workflowId, role: 'manager', onBehalfOf: run.trigger.actor.onBehalfOf ?? run.trigger.actor.id, depth: run.depth });

/** Errors a retry cannot mend: the step fails and so does the run, with the error, at once. */
const isPermanent = (error: unknown) => error instanceof CrmError && !(error instanceof ConflictError || error instanceof ContentionError || error instanceof ServiceUnavailableError);

const ended = (runId: string): WorkflowRunState => ({ runId, waitSeconds: 0, done: true });

/**
 * Runs a workflow run's steps from where it is until a wait, or its end. Each step's
 * effect is written before the run moves past it (workflow-actions.ts), and the run item
 * moves on conditioned on its version, so a task run twice (a Step Functions retry) picks
 * up where the first attempt got to and repeats no effect.
 */
export async function runWorkflowSteps(
  deps: EmailDependencies,
  runId: string,
  { waitsCutShort = false }: { /** Locally, the state machine's waits are capped (CRM_LOCAL_MAX_WAIT_SECONDS): a wait it cut short is over. */ readonly waitsCutShort?: boolean } = {},
): Promise<WorkflowRunState & { readonly outcome: string }> {
  let run = await findRun(deps.table, runId);
  if (!run || run.status !== 'running') return { ...ended(runId), outcome: 'stale' };
  const now = () => deps.clock.now();
  if (run.waitingUntil && !waitsCutShort && Date.parse(run.waitingUntil) > now().getTime()) {
    // An attempt that started the wait died before handing it to the state machine: wait the rest.
    return { runId, waitSeconds: Math.ceil((Date.parse(run.waitingUntil) - now().getTime()) / 1000), done: false, outcome: 'waiting' };
  }
  const program = compileWorkflow(run.actions);
  const { recordType, recordId } = run.trigger;
  // No record: a schedule without a record selector, or a deletion.
  const model = recordType && recordId ? modelOf(recordType) : undefined;
  const actor = runActor(run);

  const advance = (from: WorkflowRun, step: RunStep | undefined, nextStep: number, extra: Partial<WorkflowRun> = {}) =>
    updateRun(deps, from, (current) =>
      current.status === 'running' && current.nextStep === from.nextStep ? { nextStep, ...(step ? { steps: [...current.steps, step] } : {}), waitingUntil: undefined, ...extra } : undefined,
    );
  const finish = (from: WorkflowRun, fields: Partial<WorkflowRun>) => finishRun(deps, from, fields);

  while (run.nextStep < program.length) {
    const position = run.nextStep;
    const step = program[position]!;
    if (step.kind === 'jump') {
      run = await advance(run, undefined, step.to);
      continue;
    }
    const at = now().toISOString();
    const record: CrmRecord | undefined = model ? await findRecord(deps, model, recordId!) : undefined;
    if (model && !record) {
      await finish(run, { status: 'stopped', stopReason: 'record-deleted', steps: [...run.steps, { path: step.path, type: step.kind === 'branch' ? 'branch' : step.action.type, status: 'skipped', at, detail: 'the record was deleted' }] });
      return { ...ended(runId), outcome: 'stopped' };
    }
    if (step.kind === 'branch') {
      const then = meetsConditions(step.conditions, { record: record ?? {}, changes: run.trigger.changes });
      run = await advance(run, { path: step.path, type: 'branch', status: 'done', at, detail: then ? 'then' : 'else' }, then ? position + 1 : step.elseAt);
      continue;
    }
    if (step.action.type === 'wait') {
      const waitSeconds = waitSecondsOf(step.action, record ?? {}, now());
      const until = new Date(now().getTime() + waitSeconds * 1000).toISOString();
      run = await advance(run, { path: step.path, type: 'wait', status: 'done', at, detail: `until ${until}` }, position + 1, waitSeconds > 0 ? { waitingUntil: until } : {});
      if (waitSeconds > 0) return { runId, waitSeconds, done: false, outcome: 'waiting' };
      continue;
    }
    let outcome;
    try {
      outcome = await performAction(deps, step.action, {
        runId,
        workflowId: run.workflowId,
        workflowAuthor: run.workflowAuthor,
        step: position,
        ...(record ? { recordType: recordType!, record } : {}),
        actor,
        ticket: async (teamId) => {
          const kept = run!.tickets?.[String(position)];
          if (kept !== undefined) return kept;
          const ticket = await takeTicket(deps, teamId);
          run = await updateRun(deps, run!, (current) => (current.tickets?.[String(position)] === undefined ? { tickets: { ...current.tickets, [String(position)]: ticket } } : undefined));
          return run.tickets![String(position)]!;
        },
      });
    } catch (error) {
      if (!isPermanent(error)) throw error;
      const message = (error as Error).message.slice(0, 1_000);
      await finish(run, { status: 'failed', error: message, steps: [...run.steps, { path: step.path, type: step.action.type, status: 'failed', at, error: message }] });
      return { ...ended(runId), outcome: 'failed' };
    }
    run = await advance(run, { path: step.path, type: step.action.type, status: outcome.status, at, ...(outcome.detail ? { detail: outcome.detail } : {}) }, position + 1);
  }
  await finish(run, { status: 'completed' });
  return { ...ended(runId), outcome: 'completed' };
}

/** Ends a run that is still running (completed, stopped or failed, with `fields`); one that ended meanwhile stays as it ended. */
const finishRun = (deps: Pick<CoreDependencies, 'table' | 'clock'>, run: WorkflowRun, fields: Partial<WorkflowRun>) =>
  updateRun(deps, run, (current) => (current.status === 'running' ? { ...fields, waitingUntil: undefined, finishedAt: deps.clock.now().toISOString() } : undefined));

/** The state machine gave up on a step after its retries: the run says so, with the error. */
export async function recordWorkflowRunFailure(deps: Pick<CoreDependencies, 'table' | 'clock'>, runId: string, error: string): Promise<void> {
  const run = await findRun(deps.table, runId);
  if (run) await finishRun(deps, run, { status: 'failed', error: error.slice(0, 1_000) });
}

/** A deleted workflow's runs are still listed (some may still be finishing); an id that never had runs nor a workflow is a 404. */
export async function listWorkflowRuns(deps: CoreDependencies, workflowId: string, page: PageRequest, actor: Actor): Promise<Page<WorkflowRun>> {
  requireCapability(actor, 'readRecords', 'list workflow runs');
  const runs = await listPage(deps.table, runsOfWorkflow.query({ workflowId }), page, itemToRun);
  if (runs.items.length === 0 && !page.cursor) await workflowDocuments.require(deps, workflowId);
  return runs;
}

export async function getWorkflowRun(deps: CoreDependencies, workflowId: string, runId: string, actor: Actor): Promise<WorkflowRun> {
  requireCapability(actor, 'readRecords', 'read workflow runs');
  const run = await findRun(deps.table, runId);
  if (!run || run.workflowId !== workflowId) throw new NotFoundError('workflow run', runId);
  return run;
}
