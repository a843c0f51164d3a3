import { DynamoDbCrmTable } from '../adapters/dynamodb/dynamodb-crm-table';
import { SignedUnsubscribeLinks } from '../adapters/unsubscribe/signed-unsubscribe-links';
import { functionManifest } from '../functions/manifest';
import { createLambdaContext } from '../local/lambda-context';
import { contactInput } from './contact-items';
import { createThroughBatch } from './fixtures';
import type { RouteScenario, ScenarioRequest } from './route-scenarios';

type StepHandler = (event: unknown, context: ReturnType<typeof createLambdaContext>) => Promise<Record<string, unknown>>;

/**
 * One step of a follow-up sequence run, as the state machine's "Send step" Task invokes
 * it (the handler module, a Lambda context, the state's input), for contacts enrolled
 * through the API. Measured like a route: its DynamoDB calls replayed raw next to it.
 */
export const sequenceStep: RouteScenario = {
  name: 'sequence step',
  routeKey: 'Task sequence-run/Send step',
  function: { name: 'sequenceStep', memoryMb: functionManifest.sequenceStep.memoryMb },
  minimum: {
    calls: 7,
    sequential: 6,
    why: 'GetItem of the enrollment and of the sequence (in parallel), GetItem of the contact, GetItem of its suppression, the claim, the sent-and-activity transaction after SES, then the enrollment advance; plus one SES SendEmail',
  },
  async prepare({ env }, count) {
    const inputs = (tag: string) => Array.from({ length: count }, (_, i) => contactInput(3_000_000 + i, tag));
    const routeContacts = await createThroughBatch(env.api, 'contacts', inputs('steps'));
    const rawContacts = await createThroughBatch(env.api, 'contacts', inputs('stpsr'));
    const { body: sequence } = await env.api.call(
      'POST',
      '/v1/sequences',
      { name: 'Bench follow-up', steps: [{ delayMinutes: 0, subject: 'Hello {{firstName}}', text: 'Hi {{firstName | there}}, following up on our call.' }] },
      201,
    );
    const enroll = async (contactId: string) => (await env.api.call('POST', `/v1/sequences/${sequence.id}/enrollments`, { contactId }, 201)).body.runId as string;
    const routeRuns: string[] = [];
    const rawRuns: string[] = [];
    for (let i = 0; i < count; i++) {
      routeRuns.push(await enroll(routeContacts[i]!));
      rawRuns.push(await enroll(rawContacts[i]!));
    }
    // The deployment's unsubscribe key is written once, on first use: before any measured request, so none replays its creation.
    await new SignedUnsubscribeLinks(new DynamoDbCrmTable(env.documentClient, env.tableName), 'https://crm.bench.example').urlFor('warm-up');
    const { handler } = (await import('../functions/sequence-step')) as unknown as { handler: StepHandler };
    const task = functionManifest.sequenceStep;
    const input = (i: number) => ({ action: 'send', sequenceId: sequence.id as string, contactId: routeContacts[i]!, runId: routeRuns[i]!, stepIndex: 0 });
    return {
      request: (i): ScenarioRequest => ({ method: 'INVOKE', path: 'sequenceStep', body: input(i), status: 200 }),
      async invoke(i) {
        const output = await handler(input(i), createLambdaContext({ functionName: 'sequenceStep', memoryMb: task.memoryMb, timeoutSeconds: task.timeoutSeconds }));
        if (output.outcome !== 'sent') throw new Error(`The sequence step for contact ${routeContacts[i]} ended '${String(output.outcome)}', expected 'sent'`);
        return { status: 200, body: output };
      },
      rawSubstitutions: (i) =>
        new Map([
          [routeContacts[i]!, rawContacts[i]!],
          [routeRuns[i]!, rawRuns[i]!],
        ]),
    };
  },
};

/**
 * One workflow run's steps, as the state machine's "Run actions" Task invokes it: a run
 * of a workflow on contact.created whose one action makes a task for the contact's owner.
 * The runs are written as the trigger writes them (startWorkflowRuns), without executions.
 */
export const workflowStep: RouteScenario = {
  name: 'workflow step',
  routeKey: 'Task workflow-run/Run actions',
  function: { name: 'workflowStep', memoryMb: functionManifest.workflowStep.memoryMb },
  minimum: {
    calls: 5,
    sequential: 5,
    why: 'GetItem of the run and of the contact, the task transaction (task, its timeline links and audit), then the run moved past the step and finished (two version-checked writes)',
  },
  async prepare({ env }, count) {
    const inputs = (tag: string) => Array.from({ length: count }, (_, i) => contactInput(4_000_000 + i, tag));
    const routeContacts = await createThroughBatch(env.api, 'contacts', inputs('wfrun'));
    const rawContacts = await createThroughBatch(env.api, 'contacts', inputs('wfraw'));
    const { body: workflow } = await env.api.call(
      'POST',
      '/v1/workflows',
      { name: 'Bench new lead', trigger: { event: 'contact.created' }, actions: [{ type: 'createTask', subject: 'Qualify the lead', dueInMinutes: 1440, assignTo: { kind: 'owner' } }] },
      201,
    );
    const { startWorkflowRuns } = await import('../domain/workflows/workflow-runs');
    const { createRuntime } = await import('../adapters/runtime');
    const { loadConfig } = await import('../adapters/config');
    const runtime = createRuntime(loadConfig({ ...process.env }));
    const noExecutions = { start: async () => undefined };
    const runOf = async (contactId: string) => {
      const at = new Date().toISOString();
      const detail = {
        schemaVersion: 1 as const,
        eventId: `contact.created/${contactId}/1`,
        type: 'contact.created' as const,
        occurredAt: at,
        recordType: 'contact' as const,
        recordId: contactId,
        version: 1,
        path: `/v1/contacts/${contactId}`,
        actor: { type: 'user' as const, id: 'bench' },
        changedFields: [],
        changes: [],
        record: { id: contactId },
      };
      const runs = await startWorkflowRuns({ ...runtime, runStarter: noExecutions }, detail);
      return runs.find((run) => run.workflowId === workflow.id)!.runId!;
    };
    const routeRuns: string[] = [];
    const rawRuns: string[] = [];
    for (let i = 0; i < count; i++) {
      routeRuns.push(await runOf(routeContacts[i]!));
      rawRuns.push(await runOf(rawContacts[i]!));
    }
    const { handler } = (await import('../functions/workflow-step')) as unknown as { handler: StepHandler };
    const task = functionManifest.workflowStep;
    const input = (i: number) => ({ action: 'send', runId: routeRuns[i]! });
    return {
      request: (i): ScenarioRequest => ({ method: 'INVOKE', path: 'workflowStep', body: input(i), status: 200 }),
      async invoke(i) {
        const output = await handler(input(i), createLambdaContext({ functionName: 'workflowStep', memoryMb: task.memoryMb, timeoutSeconds: task.timeoutSeconds }));
        if (output.outcome !== 'completed') throw new Error(`The workflow run ${routeRuns[i]} ended '${String(output.outcome)}', expected 'completed'`);
        return { status: 200, body: output };
      },
      rawSubstitutions: (i) =>
        new Map([
          [routeContacts[i]!, rawContacts[i]!],
          [routeRuns[i]!, rawRuns[i]!],
        ]),
    };
  },
};
