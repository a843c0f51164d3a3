import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime } from '../../adapters/runtime';
import type { EmailDependencies } from '../../domain/email/send-email';
import type { CrmEventDetail } from '../../domain/events/crm-events';
import { contactModel } from '../../domain/records/contact';
import { createRecord } from '../../domain/records/create-record';
import type { Actor } from '../../domain/shared/actor';
import type { CrmTablePort, WriteOp } from '../../domain/shared/table-port';
import { findRun } from '../../domain/workflows/workflow-run';
import { runWorkflowSteps, startWorkflowRuns, type WorkflowRunState } from '../../domain/workflows/workflow-runs';
import { createWorkflow, updateWorkflow } from '../../domain/workflows/workflows';
import { listRecords } from '../../domain/records/list-records';
import { activityModel } from '../../domain/records/activity';
import { createTestTable } from '../support/local-dynamodb';
import { noteSignedInUser } from '../../domain/owners/owners';

/**
 * The workflow run's promises on the real table (DynamoDB Local): a step run again after a
 * crash repeats no effect, a wait survives a retried task, and a run keeps the version of
 * the workflow it started with. Steps are called directly, as the state machine would.
 */

const manager: Actor = { type: 'user', id: 'manager-1', role: 'manager' };
let base: EmailDependencies;
/** A clock the test moves: waits pass without waiting. */
let offsetMs = 0;
beforeAll(async () => {
  const table = await createTestTable();
  const runtime = createRuntime(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' }));
  const clock = { now: () => new Date(Date.now() + offsetMs), sleep: runtime.clock.sleep };
  base = { ...runtime, clock, emailSender: { send: async () => ({ providerMessageId: 'unused' }) } };
  // The users tasks are assigned to, as owners (a workflow may name only owners).
  for (const id of ['once-user', 'crash-user', 'wait-user', 'capped-user']) await noteSignedInUser(runtime, { id });
});

/** Starts nothing: the test runs the steps itself. */
const started: WorkflowRunState[] = [];
const runStarter = { start: async (run: WorkflowRunState) => void started.push(run) };

let counter = 0;
async function triggered(actions: unknown[]) {
  counter += 1;
  const firstName = `Flow${counter}-${Date.now()}`;
  const workflow = await createWorkflow(base, { name: `wf ${counter}`, trigger: { event: 'contact.created', conditions: [{ field: 'firstName', operator: 'equals', value: firstName }] }, actions } as never, manager);
  const contact = await createRecord(base, contactModel, { firstName }, manager);
  const detail = {
    schemaVersion: 1,
    eventId: `contact.created/${contact.id}/1`,
    type: 'contact.created',
    occurredAt: contact.updatedAt,
    recordType: 'contact',
    recordId: contact.id,
    version: 1,
    path: `/v1/contacts/${contact.id}`,
    actor: { type: 'user', id: manager.id },
    changedFields: [],
    changes: [],
    record: contact,
  } as unknown as CrmEventDetail;
  // Workflows of earlier tests see the event too; their conditions do not match it.
  const outcome = (await startWorkflowRuns({ ...base, runStarter }, detail)).find((candidate) => candidate.workflowId === workflow.id);
  expect(outcome).toMatchObject({ outcome: 'started' });
  return { workflow, contact, runId: outcome!.runId!, detail };
}
const tasksFor = async (assigneeId: string) => (await listRecords(base, activityModel, { assigneeId, limit: 100 }, manager)).items;

describe('a workflow run', () => {
  it('is one run per workflow and event, however often the event comes', async () => {
    const { workflow, runId, detail } = await triggered([{ type: 'createTask', subject: 'Once', assignTo: { kind: 'user', userId: 'once-user' } }]);
    const again = await startWorkflowRuns({ ...base, runStarter }, detail);
    expect(again).toContainEqual({ workflowId: workflow.id, runId, outcome: 'already-started' });
    await runWorkflowSteps(base, runId);
    await runWorkflowSteps(base, runId);
    expect(await tasksFor('once-user')).toHaveLength(1);
  });

  it('repeats no effect when a step runs again after dying between its effect and moving the run on', async () => {
    const { runId } = await triggered([
      { type: 'createTask', subject: 'First', assignTo: { kind: 'user', userId: 'crash-user' } },
      { type: 'addTags', tags: ['touched'] },
    ]);
    // The first attempt makes the task, then the run's update fails (the function died).
    let runWrites = 0;
    const crashing: CrmTablePort = Object.create(base.table);
    crashing.transactWrite = async (ops: readonly WriteOp[]) => {
      if (ops.some((op) => op.op === 'put' && op.item.entity === 'workflowRun') && runWrites++ === 0) throw new Error('Lambda timed out');
      return base.table.transactWrite(ops);
    };
    await expect(runWorkflowSteps({ ...base, table: crashing }, runId)).rejects.toThrow('Lambda timed out');
    expect(await tasksFor('crash-user')).toHaveLength(1);

    const result = await runWorkflowSteps(base, runId);
    expect(result).toMatchObject({ done: true, outcome: 'completed' });
    expect(await tasksFor('crash-user')).toHaveLength(1);
    const run = await findRun(base.table, runId);
    expect(run!.steps.map((step) => [step.path, step.status])).toEqual([
      ['0', 'done'],
      ['1', 'done'],
    ]);
  });

  it('waits, even when the task that began the wait is run again, and finishes on the version it started with', async () => {
    const { workflow, runId } = await triggered([
      { type: 'wait', minutes: 30 },
      { type: 'createTask', subject: 'Version one', assignTo: { kind: 'user', userId: 'wait-user' } },
    ]);
    expect(await runWorkflowSteps(base, runId)).toMatchObject({ done: false, waitSeconds: 1800, outcome: 'waiting' });
    // The answer was lost and the task ran again: it waits the rest, it does not skip the wait.
    offsetMs += 10 * 60_000;
    expect(await runWorkflowSteps(base, runId)).toMatchObject({ done: false, waitSeconds: 1200, outcome: 'waiting' });

    await updateWorkflow(base, workflow.id, { actions: [{ type: 'createTask', subject: 'Version two', assignTo: { kind: 'user', userId: 'wait-user' } }] } as never, manager);
    offsetMs += 20 * 60_000;
    expect(await runWorkflowSteps(base, runId)).toMatchObject({ done: true, outcome: 'completed' });
    expect((await tasksFor('wait-user')).map((task) => task.subject)).toEqual(['Version one']);
  });

  it('does not wait again, locally, for what the capped state machine cut short', async () => {
    const { runId } = await triggered([
      { type: 'wait', minutes: 60 },
      { type: 'createTask', subject: 'After the hour', assignTo: { kind: 'user', userId: 'capped-user' } },
    ]);
    expect(await runWorkflowSteps(base, runId, { waitsCutShort: true })).toMatchObject({ done: false, waitSeconds: 3600, outcome: 'waiting' });
    expect(await runWorkflowSteps(base, runId, { waitsCutShort: true })).toMatchObject({ done: true, outcome: 'completed' });
    expect(await tasksFor('capped-user')).toHaveLength(1);
  });

  it('stops, saying so, when its record is deleted while it waits', async () => {
    const { contact, runId } = await triggered([
      { type: 'wait', minutes: 5 },
      { type: 'addTags', tags: ['late'] },
    ]);
    await runWorkflowSteps(base, runId);
    const { deleteRecord } = await import('../../domain/records/delete-record');
    const { modelOf } = await import('../../domain/records/record-models');
    await deleteRecord(base, modelOf, contactModel, contact.id, { actor: manager });
    offsetMs += 5 * 60_000;
    expect(await runWorkflowSteps(base, runId)).toMatchObject({ done: true, outcome: 'stopped' });
    expect(await findRun(base.table, runId)).toMatchObject({ status: 'stopped', stopReason: 'record-deleted' });
  });
});
