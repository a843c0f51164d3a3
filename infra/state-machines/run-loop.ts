import { App, Duration, Stack } from 'aws-cdk-lib';
import { Function as LambdaFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Choice, Condition, Errors, Fail, JsonPath, Map as MapState, StateGraph, Succeed, TaskInput, Wait, WaitTime, type IChainable } from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';

/**
 * The shape of every run the CRM executes on Step Functions (a sequence's, a workflow's):
 * wait, call the step function, and loop until it answers `done`. Every decision lives in
 * the step function, which reads the run's state from the table; the state machine only
 * waits, retries and records a final failure. Input and every step's output carry the
 * run's fields, `waitSeconds` and `done`. Kept to JSONPath states so aws-local-stepfunctions
 * runs this very definition locally.
 */
export interface RunLoop {
  /** The fields passed to each step, and whether each is a string or a number. */
  readonly runFields: Readonly<Record<string, 'string' | 'number'>>;
  /** The Task state that runs a step. */
  readonly stepStateName: string;
  /** The execution's error and cause once a step kept failing. */
  readonly failure: { readonly error: string; readonly cause: string };
  /**
   * Work a step can hand out to run side by side: a step that answers `parts` (a list of
   * numbers) and `concurrency` is followed by a Map state that runs each part, `concurrency`
   * at once, as a loop of its own (call the step function with `action: part` and the part,
   * until it answers `done`), then by the next step of the run.
   */
  readonly parts?: { readonly mapStateName: string; readonly stepStateName: string };
}

export function runLoopDefinition(scope: Construct, stepFunction: IFunction, loop: RunLoop): IChainable {
  const runFields = Object.fromEntries(Object.entries(loop.runFields).map(([name, kind]) => [name, kind === 'string' ? JsonPath.stringAt(`$.${name}`) : JsonPath.numberAt(`$.${name}`)]));

  const waitForStep = new Wait(scope, 'Wait for step', { time: WaitTime.secondsPath('$.waitSeconds') });

  const runStep = new LambdaInvoke(scope, loop.stepStateName, {
    lambdaFunction: stepFunction,
    payload: TaskInput.fromObject({ action: 'send', ...runFields }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  const retryStep = (task: LambdaInvoke) => {
    // Steps are idempotent, so any failure may be retried. The mail service refusing all mail
    // (throttled, sending paused, setup broken) can take an operator hours to fix: those
    // retries go on for about a day before the run gives up.
    task.addRetry({ errors: ['ServiceUnavailableError'], interval: Duration.minutes(1), backoffRate: 2, maxAttempts: 30, maxDelay: Duration.hours(1) });
    // Anything else (a DynamoDB conflict, a Lambda hiccup) clears within minutes.
    task.addRetry({ errors: [Errors.ALL], interval: Duration.seconds(10), backoffRate: 3, maxAttempts: 5, maxDelay: Duration.minutes(15) });
  };
  retryStep(runStep);

  const recordFailure = new LambdaInvoke(scope, 'Record failure', {
    lambdaFunction: stepFunction,
    payload: TaskInput.fromObject({ action: 'fail', ...runFields, error: JsonPath.stringAt('$.error.Error'), cause: JsonPath.stringAt('$.error.Cause') }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  recordFailure.addRetry({ errors: [Errors.ALL], interval: Duration.seconds(10), backoffRate: 3, maxAttempts: 5 });

  const failed = recordFailure.next(new Fail(scope, 'Failed', loop.failure));
  runStep.addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' });

  const finished = new Choice(scope, 'Finished?').when(Condition.booleanEquals('$.done', true), new Succeed(scope, 'Done'));
  if (loop.parts) finished.when(Condition.isPresent('$.parts'), partsMap(scope, stepFunction, loop.parts, runFields, retryStep).addCatch(failed, { errors: [Errors.ALL], resultPath: '$.error' }).next(waitForStep));
  finished.otherwise(waitForStep);

  return waitForStep.next(runStep).next(finished);
}

/**
 * Each part a step handed out, run as a loop of part steps, `$.concurrency` parts at once.
 * The Map's result is dropped: the next step of the run reads how the parts went from the
 * table, and hands out again any part left unfinished.
 */
function partsMap(scope: Construct, stepFunction: IFunction, parts: NonNullable<RunLoop['parts']>, runFields: Record<string, unknown>, retry: (task: LambdaInvoke) => void): MapState {
  const partStep = new LambdaInvoke(scope, parts.stepStateName, {
    lambdaFunction: stepFunction,
    payload: TaskInput.fromObject({ action: 'part', ...runFields, part: JsonPath.numberAt('$.part') }),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
  });
  retry(partStep);
  const partFinished = new Choice(scope, `${parts.stepStateName} finished?`).when(Condition.booleanEquals('$.done', true), new Succeed(scope, `${parts.stepStateName} done`)).otherwise(partStep);
  const map = new MapState(scope, parts.mapStateName, {
    itemsPath: '$.parts',
    maxConcurrencyPath: '$.concurrency',
    itemSelector: { ...runFields, part: JsonPath.numberAt('$$.Map.Item.Value') },
    resultPath: JsonPath.DISCARD,
  });
  return map.itemProcessor(partStep.next(partFinished));
}

/**
 * The Amazon States Language the stack deploys for a run loop, for a step function with the
 * given ARN. The local Step Functions endpoint runs this, so local runs and tests execute the
 * same definition CDK synthesizes (test/infra checks that the stack's definition matches).
 */
export function runLoopAsl(loop: RunLoop, stepFunctionArn: string): Record<string, unknown> {
  const stack = new Stack(new App(), 'RunDefinition');
  const stepFunction = LambdaFunction.fromFunctionArn(stack, 'Step', stepFunctionArn);
  const graph = new StateGraph(runLoopDefinition(stack, stepFunction, loop).startState, 'run');
  return stack.resolve(graph.toGraphJson()) as Record<string, unknown>;
}
