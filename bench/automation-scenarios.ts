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
