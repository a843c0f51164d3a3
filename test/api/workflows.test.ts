import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusEvent } from '../../local/event-bus';
import type { TokenSubject } from '../../local/local-jwt';
import { MAX_WORKFLOW_DEPTH } from '../../domain/workflows/workflow';
import { startTestApi, testAdmin, type TestApi } from '../support/api-server';
import { eventViolations } from '../support/event-schemas';
import { eventually } from '../support/eventually';
import { mailTo } from '../support/local-mail';

/**
 * Workflows end to end on the local runtime: API writes → the stream → record events on
 * the local bus → the workflow trigger (the stack's rule pattern) → the workflow-run state
 * machine's synthesized ASL on the local Step Functions emulator → actions through the
 * domain, whose own changes raise events again.
 */

type Run = { runId: string; status: string; stopReason?: string; error?: string; depth: number; steps: { path: string; type: string; status: string; detail?: string; error?: string }[] };
type Task = { id: string; assigneeId: string; subject: string; dealIds?: string[]; contactIds?: string[] };

const manager: TokenSubject = { kind: 'user', id: 'manager-7', role: 'manager' };
const member: TokenSubject = { kind: 'user', id: 'member-3', role: 'member' };
let api: TestApi;
beforeAll(async () => {
  // Waits of up to a minute: a sequence's second step is still ahead when its deal is won.
  api = await startTestApi({ automations: true, maxWaitSeconds: 60 });
});
afterAll(() => api.close());

const settled = async () => {
  for (let round = 0; round < 3; round++) {
    await api.automations!.streams.drain();
    await api.automations!.eventBridge.drain();
  }
};
const create = async <T = { id: string }>(path: string, body: unknown, as: TokenSubject = testAdmin) => {
  const response = await api.request<T>('POST', path, { body, as });
  expect(response.status, response.text).toBe(201);
  return response.json!;
};
const runsOf = async (workflowId: string) => (await api.request<{ items: Run[] }>('GET', `/v1/workflows/${workflowId}/runs?limit=100`)).json!.items;
/** Every run of the workflow once none is running any more. */
const finishedRuns = (workflowId: string, count: number) =>
  eventually(
    async () => {
      await settled();
      return runsOf(workflowId);
    },
    (runs) => runs.length >= count && runs.every((run) => run.status !== 'running'),
    `${count} finished runs of workflow ${workflowId}`,
    30_000,
  );
const tasksOf = async (assigneeId: string) => (await api.request<{ items: Task[] }>('GET', `/v1/activities?assigneeId=${assigneeId}&limit=100`)).json!.items;
const disable = (workflowId: string) => api.request('PATCH', `/v1/workflows/${workflowId}`, { body: { enabled: false }, as: manager });

describe('saving a workflow', () => {
  it('is for managers, and refuses every field, template, sequence and team it names that does not exist, naming each', async () => {
    const body = {
      name: 'Broken',
      trigger: { event: 'deal.stage_changed', conditions: [{ field: 'stageName', operator: 'equals', value: 'x' }] },
      actions: [
        { type: 'sendEmail', templateId: 'no-such-template' },
        { type: 'enrollInSequence', sequenceId: 'no-such-sequence' },
        { type: 'createTask', subject: 'Call', assignTo: { kind: 'roundRobin', teamId: 'no-such-team' } },
        { type: 'branch', conditions: [{ field: 'properties.nope', operator: 'isEmpty' }], then: [{ type: 'updateFields', fields: { amount: -5 } }] },
        { type: 'createTask', subject: 'Call', assignTo: { kind: 'user', userId: 'nobody-known' } },
      ],
    };
    expect((await api.request('POST', '/v1/workflows', { body, as: member })).status).toBe(403);
    const refused = await api.request<{ errors: { field: string }[] }>('POST', '/v1/workflows', { body, as: manager });
    expect(refused.status).toBe(400);
    expect(refused.json!.errors.map((error) => error.field).sort()).toEqual([
      'body.actions.0.templateId',
      'body.actions.1.sequenceId',
      'body.actions.2.assignTo.teamId',
      'body.actions.3.conditions.0.field',
      'body.actions.3.then.0.fields.amount',
      'body.actions.4.assignTo.userId',
      'body.trigger.conditions.0.field',
    ]);
    const malformed = await api.request<{ errors: { field: string }[] }>('POST', '/v1/workflows', {
      body: { name: 'x', trigger: { event: 'deal.teleported' }, actions: [{ type: 'wait' }, { type: 'createTask', subject: 'x', assignTo: { kind: 'owner' }, extra: 1 }] },
      as: manager,
    });
    expect(malformed.status).toBe(400);
    expect(malformed.json!.errors.map((error) => error.field)).toEqual(expect.arrayContaining(['body.trigger.event', 'body.actions.0', 'body.actions.1.extra']));
  });
});

describe('saving a workflow (values)', () => {
  it('refuses values the fields cannot hold, stages no pipeline has, and waits on fields that are no dates', async () => {
    const refused = await api.request<{ errors: { field: string }[] }>('POST', '/v1/workflows', {
      body: {
        name: 'Never fires',
        trigger: {
          event: 'deal.stage_changed',
          conditions: [
            { field: 'stageId', operator: 'changedTo', value: 'contract_snt' },
            { field: 'amount', operator: 'greaterThan', value: 'abc' },
            { field: 'tags', operator: 'contains', value: 'vip' },
            { field: 'amount', operator: 'in', value: [100, 'x'] },
          ],
        },
        actions: [
          { type: 'wait', until: { field: 'name' } },
          { type: 'updateFields', fields: { stageId: 'nostage' } },
          { type: 'wait', until: { field: 'expectedCloseDate', offsetMinutes: -4320 } },
        ],
      },
      as: manager,
    });
    expect(refused.status).toBe(400);
    expect(refused.json!.errors.map((error) => error.field).sort()).toEqual([
      'body.actions.0.until.field',
      'body.actions.1.fields.stageId',
      'body.trigger.conditions.0.value',
      'body.trigger.conditions.1.value',
      'body.trigger.conditions.3.value',
    ]);
  });

  it('checks kept actions of an enabled workflow again when only the name changes (a team deleted since is a 400), and always lets it be disabled', async () => {
    await api.addOwners('someone');
    const team = await create('/v1/teams', { name: 'Soon gone', memberIds: ['someone'] }, manager);
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'RR',
        trigger: { event: 'contact.created', conditions: [{ field: 'firstName', operator: 'equals', value: 'Nobody is called this' }] },
        actions: [{ type: 'createTask', subject: 'Call', assignTo: { kind: 'roundRobin', teamId: team.id } }],
      },
      manager,
    );
    expect((await api.request('DELETE', `/v1/teams/${team.id}`, { as: manager })).status).toBe(204);
    const renamed = await api.request<{ errors: { field: string }[] }>('PATCH', `/v1/workflows/${workflow.id}`, { body: { name: 'RR renamed' }, as: manager });
    expect(renamed.status).toBe(400);
    expect(renamed.json!.errors).toEqual([expect.objectContaining({ field: 'body.actions.0.assignTo.teamId' })]);
    expect((await disable(workflow.id)).status).toBe(200);
  });
});

describe('a workflow on deal.stage_changed', () => {
  it('creates a task for the deal owner and enrolls its contacts; winning the deal stops them; a redelivered event runs nothing twice', async () => {
    const sequence = await create('/v1/sequences', {
      name: 'Contract follow-up',
      steps: [
        { delayMinutes: 0, subject: 'Your contract, {{firstName}}', text: 'Here it is.' },
        { delayMinutes: 2 * 24 * 60, subject: 'Any questions?', text: 'Still there?' },
      ],
    }, manager);
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'Contract sent',
        trigger: { event: 'deal.stage_changed', conditions: [{ field: 'stageId', operator: 'changedTo', value: 'contract_sent' }] },
        actions: [
          { type: 'createTask', subject: 'Call about the contract', dueInMinutes: 60, assignTo: { kind: 'owner' } },
          { type: 'enrollInSequence', sequenceId: sequence.id },
        ],
      },
      manager,
    );
    const owner: TokenSubject = { kind: 'user', id: `owner-${Date.now()}`, role: 'member' };
    const contacts = await Promise.all(['Ann', 'Bob'].map((name) => create('/v1/contacts', { firstName: name, email: `${name.toLowerCase()}-${Date.now()}@example.com` }, owner)));
    const deal = await create('/v1/deals', { name: 'Big one', contactIds: contacts.map((contact) => contact.id) }, owner);
    // Another stage does not meet the condition.
    expect((await api.request('PATCH', `/v1/deals/${deal.id}`, { body: { stageId: 'qualified_to_buy' }, as: owner })).status).toBe(200);
    expect((await api.request('PATCH', `/v1/deals/${deal.id}`, { body: { stageId: 'contract_sent' }, as: owner })).status).toBe(200);

    const [run] = await finishedRuns(workflow.id, 1);
    expect(run).toMatchObject({ status: 'completed', depth: 1 });
    expect(run!.steps.map((step) => [step.path, step.type, step.status])).toEqual([
      ['0', 'createTask', 'done'],
      ['1', 'enrollInSequence', 'done'],
    ]);
    const tasks = await tasksOf(owner.id);
    expect(tasks).toEqual([expect.objectContaining({ subject: 'Call about the contract', dealIds: [deal.id] })]);
    const enrollmentOf = async (contactId: string) => (await api.request<{ status: string; stopReason?: string; nextStep: number }>('GET', `/v1/sequences/${sequence.id}/enrollments/${contactId}`)).json!;
    for (const contact of contacts) await eventually(() => enrollmentOf(contact.id), (enrollment) => enrollment.nextStep === 1, 'the first email');

    // The workflow's own changes are audited with it as the actor, on behalf of who moved the deal.
    const audit = await api.request<{ items: { actor: { type: string; id: string; onBehalfOf?: string; depth?: number } }[] }>('GET', `/v1/audit?recordType=enrollment&recordId=${sequence.id}/${contacts[0]!.id}`);
    expect(audit.json!.items.at(-1)!.actor).toMatchObject({ type: 'workflow', id: workflow.id, onBehalfOf: owner.id, depth: 1 });

    // The same event delivered again (a retry, an archive replay): same run, nothing new.
    const events = (await (await fetch(`${api.automations!.eventBridge.endpoint}/events`)).json()) as { events: BusEvent[] };
    const trigger = events.events.find((event) => event['detail-type'] === 'deal.stage_changed' && (event.detail as { recordId: string; changes: { to: unknown }[] }).recordId === deal.id && JSON.stringify(event.detail).includes('contract_sent'))!;
    const client = new EventBridgeClient({ endpoint: api.automations!.eventBridge.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await client.send(new PutEventsCommand({ Entries: [{ EventBusName: 'crm-local', Source: 'crm', DetailType: trigger['detail-type'], Detail: JSON.stringify(trigger.detail) }] }));
    await settled();
    expect(await runsOf(workflow.id)).toHaveLength(1);
    expect(await tasksOf(owner.id)).toHaveLength(1);

    expect((await api.request('PATCH', `/v1/deals/${deal.id}`, { body: { stageId: 'closed_won' }, as: owner })).status).toBe(200);
    await settled();
    for (const contact of contacts) expect(await enrollmentOf(contact.id)).toMatchObject({ status: 'stopped', stopReason: 'deal-won' });
    await disable(workflow.id);
  });
});

describe('a workflow that emails', () => {
  it("fills in the deal's and the sender's placeholders: the deal it runs on, the deal owner as sender", async () => {
    const stamp = Date.now();
    const rep: TokenSubject = { kind: 'user', id: `rep-${stamp}`, role: 'member', name: 'Rita Rep', email: `rep-${stamp}@acme.example` };
    const template = await create('/v1/email-templates', { name: 'Deal intro', subject: 'About {{deal.name}}', text: 'Hello {{firstName | there}}, {{sender.name | your rep}} here ({{sender.email}}).' }, manager);
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'Introduce the rep',
        trigger: { event: 'deal.created', conditions: [{ field: 'name', operator: 'equals', value: `Intro ${stamp}` }] },
        actions: [{ type: 'sendEmail', templateId: template.id }],
      },
      manager,
    );
    const address = `buyer-${stamp}@example.com`;
    const buyer = await create('/v1/contacts', { firstName: 'Bea', email: address }, rep);
    await create('/v1/deals', { name: `Intro ${stamp}`, contactIds: [buyer.id] }, rep);
    const [run] = await finishedRuns(workflow.id, 1);
    expect(run).toMatchObject({ status: 'completed' });
    const mail = await eventually(() => mailTo(address), (found) => found.length > 0, 'the workflow email');
    expect(mail[0]).toMatchObject({ subject: `About Intro ${stamp}`, body: { text: expect.stringContaining(`Hello Bea, Rita Rep here (rep-${stamp}@acme.example).`) } });
    await disable(workflow.id);
  });
});

describe('round-robin assignment', () => {
  it('spreads 30 contacts created at once evenly over a 3-person team', async () => {
    const stamp = Date.now();
    const members = ['a', 'b', 'c'].map((letter) => `rr-${stamp}-${letter}`);
    await api.addOwners(...members);
    const team = await create('/v1/teams', { name: 'Inbound', memberIds: members }, manager);
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'New inbound lead',
        trigger: { event: 'contact.created', conditions: [{ field: 'tags', operator: 'contains', value: `inbound-${stamp}` }] },
        actions: [{ type: 'createTask', subject: 'Qualify the new lead', assignTo: { kind: 'roundRobin', teamId: team.id } }],
      },
      manager,
    );
    await Promise.all(Array.from({ length: 30 }, (_, n) => create('/v1/contacts', { firstName: `Lead${n}`, email: `lead-${stamp}-${n}@example.com`, tags: [`inbound-${stamp}`] })));

    const runs = await finishedRuns(workflow.id, 30);
    expect(runs.filter((run) => run.status === 'completed')).toHaveLength(30);
    const counts = await Promise.all(members.map(async (memberId) => (await tasksOf(memberId)).length));
    expect(counts).toEqual([10, 10, 10]);
    await disable(workflow.id);
  });
});

describe('workflows that trigger themselves', () => {
  it(`stop at depth ${MAX_WORKFLOW_DEPTH}: the run that would go deeper is recorded, stopped with depth-limit, and runs nothing`, async () => {
    const name = `Loop${Date.now()}`;
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'Ping-pong',
        trigger: { event: 'contact.updated', conditions: [{ field: 'firstName', operator: 'equals', value: name }, { field: 'tags', operator: 'changed' }] },
        actions: [{ type: 'branch', conditions: [{ field: 'tags', operator: 'contains', value: 'ping' }], then: [{ type: 'removeTags', tags: ['ping'] }], else: [{ type: 'addTags', tags: ['ping'] }] }],
      },
      manager,
    );
    const contact = await create('/v1/contacts', { firstName: name });
    expect((await api.request('PATCH', `/v1/contacts/${contact.id}`, { body: { tags: ['ping'] } })).status).toBe(200);

    const runs = await finishedRuns(workflow.id, MAX_WORKFLOW_DEPTH + 1);
    await settled();
    const all = await runsOf(workflow.id);
    expect(all).toHaveLength(MAX_WORKFLOW_DEPTH + 1);
    const byDepth = [...runs].sort((a, b) => a.depth - b.depth);
    expect(byDepth.map((run) => run.depth)).toEqual(Array.from({ length: MAX_WORKFLOW_DEPTH + 1 }, (_, n) => n + 1));
    expect(byDepth.slice(0, -1).every((run) => run.status === 'completed')).toBe(true);
    expect(byDepth.at(-1)).toMatchObject({ status: 'stopped', stopReason: 'depth-limit', steps: [] });
    // Each run's branch took the other way from the one before.
    expect(byDepth.slice(0, -1).map((run) => run.steps[0]!.detail)).toEqual(['then', 'else', 'then', 'else', 'then']);
  });
});

describe('a run that fails', () => {
  it('says which step failed and why, and raises workflow.run_failed, valid against its schema', async () => {
    await api.addOwners('someone');
    const team = await create('/v1/teams', { name: 'Gone soon', memberIds: ['someone'] }, manager);
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'New company',
        trigger: { event: 'company.created', conditions: [{ field: 'name', operator: 'equals', value: 'Doomed Ltd' }] },
        actions: [{ type: 'addTags', tags: ['new'] }, { type: 'createTask', subject: 'Research them', assignTo: { kind: 'roundRobin', teamId: team.id } }],
      },
      manager,
    );
    expect((await api.request('DELETE', `/v1/teams/${team.id}`, { as: manager })).status).toBe(204);
    await create('/v1/companies', { name: 'Doomed Ltd' });

    const [run] = await finishedRuns(workflow.id, 1);
    expect(run).toMatchObject({ status: 'failed', error: expect.stringContaining(team.id) });
    expect(run!.steps.map((step) => [step.path, step.status])).toEqual([
      ['0', 'done'],
      ['1', 'failed'],
    ]);
    const single = await api.request<Run>('GET', `/v1/workflows/${workflow.id}/runs/${run!.runId}`);
    expect(single.json).toEqual(run);
    expect((await api.request('GET', `/v1/workflows/someone-else/runs/${run!.runId}`)).status).toBe(404);

    await settled();
    const events = (await (await fetch(`${api.automations!.eventBridge.endpoint}/events`)).json()) as { events: BusEvent[] };
    const failed = events.events.filter((event) => event['detail-type'] === 'workflow.run_failed' && (event.detail as { recordId: string }).recordId === run!.runId);
    expect(failed).toHaveLength(1);
    expect(eventViolations(failed[0]!)).toEqual([]);
    expect(failed[0]!.detail).toMatchObject({ actor: { type: 'workflow', id: workflow.id }, path: `/v1/workflows/${workflow.id}/runs/${run!.runId}` });
  });

  it('starts nothing while disabled, nor for events from before it was enabled', async () => {
    const workflow = await create(
      '/v1/workflows',
      { name: 'Off', enabled: false, trigger: { event: 'company.created', conditions: [{ field: 'name', operator: 'equals', value: 'Quiet Ltd' }] }, actions: [{ type: 'addTags', tags: ['x'] }] },
      manager,
    );
    await create('/v1/companies', { name: 'Quiet Ltd' });
    await settled();
    expect(await runsOf(workflow.id)).toEqual([]);
    const enabled = await api.request<{ enabled: boolean; enabledAt: string }>('PATCH', `/v1/workflows/${workflow.id}`, { body: { enabled: true }, as: manager });
    expect(enabled.json).toMatchObject({ enabled: true, enabledAt: expect.any(String) });
    await create('/v1/companies', { name: 'Quiet Ltd', domain: `quiet-${Date.now()}.example` });
    expect(await finishedRuns(workflow.id, 1)).toHaveLength(1);
  });
});

describe('scheduled workflows', () => {
  const DAY = 24 * 3_600_000;
  const fire = async (at: Date) => {
    await api.automations!.scheduler.fire('scheduler', at);
    await settled();
  };

  it('make one task per stale deal per period, however often the schedule fires', async () => {
    const owner: TokenSubject = { kind: 'user', id: `stale-owner-${Date.now()}`, role: 'member' };
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'Stale deals',
        // Deals of other tests in this file are stale too, by then: this owner's only.
        trigger: { schedule: { every: 'day', at: '09:00', timeZone: 'Europe/Berlin' }, staleDeals: { days: 14 }, conditions: [{ field: 'ownerId', operator: 'equals', value: owner.id }] },
        actions: [{ type: 'createTask', subject: 'Revive this deal', assignTo: { kind: 'owner' } }],
      },
      manager,
    );
    const quiet = await create('/v1/deals', { name: 'Quiet' }, owner);
    const busy = await create('/v1/deals', { name: 'Busy' }, owner);
    const won = await create('/v1/deals', { name: 'Won', stageId: 'closed_won' }, owner);
    const soon = Date.now() + 20 * DAY;
    // A call on the busy deal five days before the schedule fires: it is not stale.
    await create('/v1/activities', { kind: 'call', subject: 'Checked in', dealIds: [busy.id], occurredAt: new Date(soon - 5 * DAY).toISOString() }, owner);

    await fire(new Date(soon));
    await fire(new Date(soon));
    await fire(new Date(soon + 60_000));
    const runs = await finishedRuns(workflow.id, 1);
    expect(runs).toHaveLength(1);
    const tasks = await tasksOf(owner.id);
    expect(tasks.map((task) => task.dealIds)).toEqual([[quiet.id]]);
    expect(tasks.flatMap((task) => task.dealIds)).not.toContain(won.id);

    // The next day is another period: the deal is still stale, and gets another task.
    await fire(new Date(soon + DAY));
    expect(await finishedRuns(workflow.id, 2)).toHaveLength(2);
    expect((await tasksOf(owner.id)).map((task) => task.dealIds)).toEqual([[quiet.id], [quiet.id]]);
    await disable(workflow.id);
  });

  it('run days before a date: once per deal closing three days after the period, however often fired', async () => {
    const owner: TokenSubject = { kind: 'user', id: `closing-owner-${Date.now()}`, role: 'member' };
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'Closing soon',
        trigger: { schedule: { every: 'day', at: '08:00', timeZone: 'UTC' }, dateField: { field: 'expectedCloseDate', offsetDays: -3 } },
        actions: [{ type: 'createTask', subject: 'Closing in three days', assignTo: { kind: 'owner' } }],
      },
      manager,
    );
    const firing = new Date(Date.now() + 10 * DAY);
    const period = firing.toISOString().slice(0, 10);
    const inDays = (days: number) => new Date(Date.parse(`${period}T12:00:00Z`) + days * DAY).toISOString().slice(0, 10);
    const closing = await create('/v1/deals', { name: 'Closing', expectedCloseDate: inDays(3) }, owner);
    await create('/v1/deals', { name: 'Later', expectedCloseDate: inDays(4) }, owner);
    await create('/v1/deals', { name: 'Already won', expectedCloseDate: inDays(3), stageId: 'closed_won' }, owner);

    const at = new Date(`${period}T09:00:00Z`);
    await fire(at);
    await fire(at);
    expect(await finishedRuns(workflow.id, 1)).toHaveLength(1);
    expect((await tasksOf(owner.id)).map((task) => task.dealIds)).toEqual([[closing.id]]);
    await disable(workflow.id);
  });

  it('run without a record when they select none, once per week, and never for a slot before they were enabled', async () => {
    const assignee = `weekly-${Date.now()}`;
    await api.addOwners(assignee);
    const workflow = await create(
      '/v1/workflows',
      {
        name: 'Weekly pipeline review',
        trigger: { schedule: { every: 'week', weekday: 'mon', at: '08:30', timeZone: 'America/New_York' } },
        actions: [{ type: 'createTask', subject: 'Review the pipeline', assignTo: { kind: 'user', userId: assignee } }],
      },
      manager,
    );
    // This week's Monday slot may be before the workflow existed: a week on, it is not.
    await fire(new Date(Date.now() - 7 * DAY));
    expect(await runsOf(workflow.id)).toEqual([]);
    await fire(new Date(Date.now() + 7 * DAY));
    await fire(new Date(Date.now() + 7 * DAY));
    expect(await finishedRuns(workflow.id, 1)).toHaveLength(1);
    expect((await tasksOf(assignee)).map((task) => task.subject)).toEqual(['Review the pipeline']);

    const refused = await api.request<{ errors: { field: string }[] }>('POST', '/v1/workflows', {
      body: { name: 'x', trigger: { schedule: { every: 'week', at: '25:00', timeZone: 'Mars/Olympus' } }, actions: [{ type: 'addTags', tags: ['x'] }] },
      as: manager,
    });
    expect(refused.status).toBe(400);
    const changeOnSchedule = await api.request<{ errors: { field: string }[] }>('POST', '/v1/workflows', {
      body: { name: 'x', trigger: { schedule: { every: 'day', at: '08:00', timeZone: 'UTC' }, staleDeals: { days: 3 }, conditions: [{ field: 'stageId', operator: 'changedTo', value: 'contract_sent' }] }, actions: [{ type: 'addTags', tags: ['x'] }] },
      as: manager,
    });
    expect(changeOnSchedule.json!.errors).toEqual([expect.objectContaining({ field: 'body.trigger.conditions.0.operator' })]);
    await disable(workflow.id);
  });
});
