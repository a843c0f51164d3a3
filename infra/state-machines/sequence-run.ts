import { App, Duration, Stack } from 'aws-cdk-lib';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Errors, Fail, JsonPath, StateGraph, Succeed, TaskInput, Wait, WaitTime, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/**
 * The follow-up sequence run: wait the step's delay, send the step (one Lambda call that
 * re-checks the enrollment, sends idempotently and advances the enrollment), and loop
 * until the sequence is done or the enrollment is stopped. Every decision lives in the
 * step function; the state machine only waits, retries and records a final failure.
 *
 * Input and every step's output: `{ sequenceId, contactId, runId, stepIndex, waitSeconds, done }`.
 * Kept to JSONPath states so aws-local-stepfunctions runs this very definition locally.
 */
export function sequenceRunDefinition(scope: Construct, stepFunction: IFunction): IChainable {
  const runFields = {
    sequenceId: JsonPath.stringAt('$.sequenceId'),
    contactId: JsonPath.stringAt('$.contactId'),
    runId: JsonPath.stringAt('$.runId'),
    stepIndex: JsonPath.numberAt('$.stepIndex'),
  };

  const waitForStep = new Wait(scope, 'Wait for step', { time: WaitTime.secondsPath('$.waitSeconds') });

  const sendStep = new LambdaInvoke(scope, 'Send step', {
    lambdaFunction: stepFunction,
    payload: TaskInput.fromObject({ action: 'send', ...runFields }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  // Sending is idempotent per run and step, so any failure may be retried. The mail service
  // refusing all mail (throttled, sending paused, setup broken) can take an operator hours
  // to fix: those retries go on for about a day before the run gives up.
  sendStep.addRetry({ errors: ['ServiceUnavailableError'], interval: Duration.minutes(1), backoffRate: 2, maxAttempts: 30, maxDelay: Duration.hours(1) });
  // Anything else (a DynamoDB conflict, a Lambda hiccup) clears within minutes.
  sendStep.addRetry({ errors: [Errors.ALL], interval: Duration.seconds(10), backoffRate: 3, maxAttempts: 5, maxDelay: Duration.minutes(15) });

  const recordFailure = new LambdaInvoke(scope, 'Record failure', {
    lambdaFunction: stepFunction,
    payload: TaskInput.fromObject({ action: 'fail', ...runFields, error: JsonPath.stringAt('$.error.Error'), cause: JsonPath.stringAt('$.error.Cause') }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  recordFailure.addRetry({ errors: [Errors.ALL], interval: Duration.seconds(10), backoffRate: 3, maxAttempts: 5 });
  sendStep.addCatch(recordFailure.next(new Fail(scope, 'Failed', { error: 'SequenceStepFailed', cause: 'A step kept failing; the enrollment is marked failed.' })), {
    errors: [Errors.ALL],
    resultPath: '$.error',
  });

  const finished = new Choice(scope, 'Finished?')
    .when(Condition.booleanEquals('$.done', true), new Succeed(scope, 'Done'))
    .otherwise(waitForStep);

  return waitForStep.next(sendStep).next(finished);
}

/**
 * The Amazon States Language the stack deploys, for a step function with the given ARN.
 * The local Step Functions endpoint runs this, so local runs and tests execute the same
 * definition CDK synthesizes (test/infra checks that the stack's definition matches).
 */
export function sequenceRunAsl(stepFunctionArn: string): Record<string, unknown> {
  const stack = new Stack(new App(), 'SequenceRunDefinition');
  const stepFunction = LambdaFunction.fromFunctionArn(stack, 'Step', stepFunctionArn);
  const definition = sequenceRunDefinition(stack, stepFunction);
  const graph = new StateGraph(definition.startState, 'sequence run');
  return stack.resolve(graph.toGraphJson()) as Record<string, unknown>;
}
