import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  InvalidExecutionInput,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_SEQUENCE_STATE_MACHINE_ARN } from '../../local/local-arns';
import { localStateMachines } from '../../local/local-state-machines';
import { startStepFunctionsLocal, type StepFunctionsLocal, type StepFunctionsLocalOptions } from '../../local/step-functions-local';
import { DAYS_BETWEEN_STEPS, STEPS_PER_RUN, stepInvocations } from '../support/fixtures/sequence-step';

const FIXTURES = fileURLToPath(new URL('../support/fixtures/', import.meta.url));
/** The real sequence run definition, its Task calling the fixture instead of functions/sequence-step.ts. */
const sequenceRun: Pick<StepFunctionsLocalOptions, 'stateMachines' | 'tasks' | 'rootDir'> = {
  stateMachines: { [LOCAL_SEQUENCE_STATE_MACHINE_ARN]: localStateMachines()[LOCAL_SEQUENCE_STATE_MACHINE_ARN]! },
  tasks: { sequenceStep: { entry: 'sequence-step.ts', memoryMb: 512, timeoutSeconds: 5 } },
  rootDir: FIXTURES,
};

const running: StepFunctionsLocal[] = [];
async function startEndpoint(options: StepFunctionsLocalOptions): Promise<SFNClient> {
  const endpoint = await startStepFunctionsLocal(options);
  running.push(endpoint);
  return new SFNClient({ endpoint: endpoint.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}
afterAll(async () => {
  await Promise.all(running.map((endpoint) => endpoint.stop()));
});

const runInput = (runId: string, sequenceId = 'seq-1') => JSON.stringify({ sequenceId, contactId: 'contact-1', runId, stepIndex: 0, waitSeconds: 0 });

async function start(client: SFNClient, name: string, input: string, stateMachineArn = LOCAL_SEQUENCE_STATE_MACHINE_ARN) {
  return client.send(new StartExecutionCommand({ stateMachineArn, name, input }));
}

/** Polls DescribeExecution until the execution has ended. */
async function finished(client: SFNClient, executionArn: string): Promise<DescribeExecutionCommandOutput> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));
    if (execution.status !== 'RUNNING') return execution;
    if (Date.now() > deadline) throw new Error(`${executionArn} still runs`);
    await sleep(10);
  }
}

beforeEach(() => {
  stepInvocations().length = 0;
});

describe('the sequence run state machine (the definition CDK deploys), waits capped at 0', () => {
  let client: SFNClient;
  beforeAll(async () => {
    client = await startEndpoint({ ...sequenceRun, maxWaitSeconds: 0 });
  });

  it('sends each step until the step function says done, through days of waits in no time', async () => {
    const { executionArn } = await start(client, 'run-done', runInput('run-done'));

    const execution = await finished(client, executionArn!);

    expect(execution).toMatchObject({ status: 'SUCCEEDED', name: 'run-done', stateMachineArn: LOCAL_SEQUENCE_STATE_MACHINE_ARN });
    expect(JSON.parse(execution.output!)).toEqual({
      sequenceId: 'seq-1',
      contactId: 'contact-1',
      runId: 'run-done',
      stepIndex: STEPS_PER_RUN,
      waitSeconds: DAYS_BETWEEN_STEPS * 86_400,
      done: true,
    });
    // The Task's Parameters shape each call; the function is invoked under its own name.
    expect(stepInvocations()).toEqual(
      [0, 1, 2].map((stepIndex) => ({
        input: { action: 'send', sequenceId: 'seq-1', contactId: 'contact-1', runId: 'run-done', stepIndex },
        functionName: 'sequenceStep',
      })),
    );
    expect(execution.stopDate!.getTime()).toBeGreaterThanOrEqual(execution.startDate!.getTime());
  });

  it('retries a failing step, then records the failure and fails the run', async () => {
    const { executionArn } = await start(client, 'run-failing', runInput('run-failing', 'failing-seq'));

    const execution = await finished(client, executionArn!);

    expect(execution).toMatchObject({ status: 'FAILED', error: 'SequenceStepFailed', cause: 'A step kept failing; the enrollment is marked failed.' });
    const sends = stepInvocations().filter((invocation) => invocation.input.action === 'send');
    const failures = stepInvocations().filter((invocation) => invocation.input.action === 'fail');
    // The first attempt and the 5 retries of the definition's Retry (MaxAttempts 5).
    expect(sends).toHaveLength(6);
    expect(failures).toHaveLength(1);
    // As from Lambda: Error is the thrown error's name, Cause Lambda's error payload as JSON.
    const { error, cause } = failures[0]!.input;
    expect(error).toBe('StepSendFailedError');
    expect(JSON.parse(cause!)).toMatchObject({ errorType: 'StepSendFailedError', errorMessage: 'step 0 of run run-failing could not be sent', trace: expect.any(Array) });
  });

  it('lists executions by status, newest first', async () => {
    await finished(client, (await start(client, 'run-listed-1', runInput('run-listed-1'))).executionArn!);
    await finished(client, (await start(client, 'run-listed-2', runInput('run-listed-2'))).executionArn!);

    const { executions } = await client.send(new ListExecutionsCommand({ stateMachineArn: LOCAL_SEQUENCE_STATE_MACHINE_ARN, statusFilter: 'SUCCEEDED' }));
    const firstPage = await client.send(new ListExecutionsCommand({ stateMachineArn: LOCAL_SEQUENCE_STATE_MACHINE_ARN, maxResults: 1 }));

    const names = executions!.map((execution) => execution.name);
    expect(names.indexOf('run-listed-2')).toBeLessThan(names.indexOf('run-listed-1'));
    expect(executions!.every((execution) => execution.status === 'SUCCEEDED')).toBe(true);
    expect(firstPage.executions).toHaveLength(1);
    expect(firstPage.nextToken).toEqual(expect.any(String));
  });
});

describe('a capped wait', () => {
  it('lasts at most the cap, and a shorter wait only as long as it says', async () => {
    const client = await startEndpoint({ ...sequenceRun, maxWaitSeconds: 0.2 });
    const started = Date.now();

    const execution = await finished(client, (await start(client, 'run-capped', runInput('run-capped'))).executionArn!);

    // The first wait is 0 s; the two 2-day waits between the 3 steps take 0.2 s each.
    const elapsed = Date.now() - started;
    expect(execution.status).toBe('SUCCEEDED');
    expect(elapsed).toBeGreaterThanOrEqual(380);
    expect(elapsed).toBeLessThan(3_000);
  });
});

describe('StartExecution, DescribeExecution and StopExecution, through the AWS SDK', () => {
  let client: SFNClient;
  beforeAll(async () => {
    // Real waits: a run asked to wait an hour first stays RUNNING for the whole test.
    client = await startEndpoint(sequenceRun);
  });
  const waitingInput = (runId: string) => JSON.stringify({ sequenceId: 'seq-1', contactId: 'contact-1', runId, stepIndex: 0, waitSeconds: 3_600 });

  it('answers a repeated start of a running execution (same name, same input) with that execution', async () => {
    const first = await start(client, 'run-repeated', waitingInput('run-repeated'));
    const again = await start(client, 'run-repeated', waitingInput('run-repeated'));

    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    expect((await client.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).status).toBe('RUNNING');
  });

  it('refuses the same name with another input: ExecutionAlreadyExists', async () => {
    await start(client, 'run-clash', waitingInput('run-clash'));

    await expect(start(client, 'run-clash', waitingInput('run-clash-other'))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('aborts on StopExecution, and then refuses the name even with the same input', async () => {
    const { executionArn } = await start(client, 'run-stopped', waitingInput('run-stopped'));

    const { stopDate } = await client.send(new StopExecutionCommand({ executionArn, error: 'Unenrolled', cause: 'The contact left the sequence' }));
    const execution = await client.send(new DescribeExecutionCommand({ executionArn }));

    expect(stopDate).toBeInstanceOf(Date);
    expect(execution).toMatchObject({ status: 'ABORTED', error: 'Unenrolled', cause: 'The contact left the sequence', stopDate });
    await expect(start(client, 'run-stopped', waitingInput('run-stopped'))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(stepInvocations()).toEqual([]);
  });

  it('answers the errors the service does for unknown state machines and executions, and input that is not JSON', async () => {
    const unknownMachine = LOCAL_SEQUENCE_STATE_MACHINE_ARN.replace('crm-sequence-run', 'nothing-here');

    await expect(start(client, 'run-x', '{}', unknownMachine)).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(client.send(new ListExecutionsCommand({ stateMachineArn: unknownMachine }))).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(client.send(new DescribeExecutionCommand({ executionArn: `${unknownMachine.replace(':stateMachine:', ':execution:')}:run-x` }))).rejects.toBeInstanceOf(ExecutionDoesNotExist);
    await expect(start(client, 'run-bad-input', '{not json')).rejects.toBeInstanceOf(InvalidExecutionInput);
  });
});

describe('Task states', () => {
  const catching = {
    StartAt: 'Slow step',
    States: {
      'Slow step': {
        Type: 'Task',
        Resource: 'arn:aws:lambda:us-east-1:000000000000:function:slowStep',
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };
  const arn = 'arn:aws:states:us-east-1:000000000000:stateMachine:catching';

  it('time out as Lambda does (Sandbox.Timedout), to Retry and Catch', async () => {
    const client = await startEndpoint({
      stateMachines: { [arn]: catching },
      tasks: { slowStep: { entry: 'outlives-timeout.ts', memoryMb: 128, timeoutSeconds: 0.2 } },
      rootDir: FIXTURES,
    });

    const execution = await finished(client, (await start(client, 'slow', '{}', arn)).executionArn!);

    expect(execution.status).toBe('SUCCEEDED');
    const { error } = JSON.parse(execution.output!) as { error: { Error: string; Cause: string } };
    expect(error.Error).toBe('Sandbox.Timedout');
    expect(JSON.parse(error.Cause)).toMatchObject({ errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 0.20 seconds' });
  });

  it('refuse to start with a resource the local runtime cannot run, or a function it does not know', async () => {
    const sqsTask = { StartAt: 'Queue', States: { Queue: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl: 'q', MessageBody: 'm' }, End: true } } };

    await expect(startStepFunctionsLocal({ stateMachines: { [arn]: sqsTask } })).rejects.toThrow(/only runs Lambda function ARNs/);
    await expect(startStepFunctionsLocal({ stateMachines: { [arn]: catching }, tasks: {} })).rejects.toThrow(/slowStep, which is not among the state machine tasks/);
  });
});
