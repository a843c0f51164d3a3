import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { ExecutionError, ExecutionTimeoutError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { functionsTriggeredBy, type FunctionDeclaration } from '../functions/manifest';
import { createLambdaContext } from './lambda-context';
import { createHandlerLoader, type LambdaHandler, withTimeout } from './lambda-handlers';

/**
 * One state machine, from the Amazon States Language definition the stack deploys, made
 * runnable here with aws-local-stepfunctions: each Task state whose Resource is a Lambda
 * function ARN runs the handler module of that function in functions/manifest.ts, the
 * way Lambda would (JSON payload, Lambda context, timeout, and a thrown error surfacing
 * to Retry/Catch with the error's name as Error and Lambda's error payload as Cause).
 */

export type TaskFunction = Pick<FunctionDeclaration, 'entry' | 'memoryMb' | 'timeoutSeconds'>;

/** The deployed state machine tasks of functions/manifest.ts, by function name. */
const deployedTasks = (): Record<string, TaskFunction> => Object.fromEntries(functionsTriggeredBy('stateMachineTask'));

export interface LocalStateMachineOptions {
  /** Lambda function name → handler module; defaults to the deployed state machine tasks. */
  tasks?: Readonly<Record<string, TaskFunction>>;
  /** Folder the `entry` paths are relative to; defaults to the repository root. */
  rootDir?: string;
  /**
   * Caps every Wait state and every Retry pause at this many seconds (0: no pause at all),
   * so a sequence meant to span days runs in seconds. Unset, they last as defined. A
   * capped retry pauses min(IntervalSeconds, cap) each time (no backoff).
   */
  maxWaitSeconds?: number;
}

/** What the Context Object ($$) says about the execution. */
export interface ExecutionIdentity {
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  stateMachineName: string;
}

export type ExecutionOutcome =
  | { status: 'SUCCEEDED'; output: string }
  | { status: 'FAILED'; error: string; cause: string }
  | { status: 'TIMED_OUT'; error: string; cause: string }
  | { status: 'ABORTED' };

export interface LocalStateMachine {
  /** Starts an execution; `outcome` never rejects. */
  start(input: unknown, identity: ExecutionIdentity): { outcome: Promise<ExecutionOutcome>; abort(): void };
}

type Json = Record<string, unknown>;
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type ExecutionInput = Parameters<StateMachine['run']>[0];

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAMBDA_FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:([\w-]+)(?::[\w$-]+)?$/;
/** Stands in for rewritten Wait states (see capWaits); never called, only validated. */
const LOCAL_WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:local-wait-state';

export class LocalStateMachineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalStateMachineError';
  }
}

export function createLocalStateMachine(definition: Json, options: LocalStateMachineOptions = {}): LocalStateMachine {
  const { tasks = deployedTasks(), rootDir = REPOSITORY_ROOT, maxWaitSeconds } = options;
  const capped = maxWaitSeconds !== undefined;
  const runnable = capped ? capWaits(definition) : definition;
  const states = allStates(runnable);
  // Validates the definition now, so a broken one fails at start rather than at the first execution.
  const machine = new StateMachine(runnable as unknown as StateMachineDefinition);
  const lambdaTasks = lambdaTaskStates(states, tasks);
  const loadHandler = createHandlerLoader(rootDir);
  const retryIntervalOverrides = capped ? cappedRetryPauses(states, maxWaitSeconds) : undefined;

  return {
    start(input, { executionArn, executionName, stateMachineArn, stateMachineName }) {
      const stopping = new AbortController();
      const handlers: LocalHandlers = {};
      for (const [stateName, functionName] of lambdaTasks) {
        handlers[stateName] = (payload) => invokeLambda(functionName, tasks[functionName]!, loadHandler, payload) as Promise<ExecutionInput>;
      }
      if (capped) {
        for (const [stateName, state] of states) {
          if (state.Resource === LOCAL_WAIT_RESOURCE) handlers[stateName] = (payload) => cappedWait(payload as unknown as WaitPayload, maxWaitSeconds, stopping.signal) as Promise<ExecutionInput>;
        }
      }
      const runOptions: RunOptions = {
        overrides: { taskResourceLocalHandlers: handlers, ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}) },
        noThrowOnAbort: true,
        context: {
          Execution: { Id: executionArn, Name: executionName },
          StateMachine: { Id: stateMachineArn, Name: stateMachineName },
        },
      };
      const run = machine.run(input as ExecutionInput, runOptions);
      const outcome = run.result.then(
        (output): ExecutionOutcome => (stopping.signal.aborted ? { status: 'ABORTED' } : { status: 'SUCCEEDED', output: JSON.stringify(output) }),
        (error: unknown): ExecutionOutcome => failure(error),
      );
      return {
        outcome,
        abort() {
          stopping.abort();
          run.abort();
        },
      };
    },
  };
}

/** Every state by name, nested ones (Parallel branches, Map iterators) included. */
function allStates(definition: Json): [string, Json][] {
  return Object.entries((definition.States ?? {}) as Record<string, Json>).flatMap(([name, state]) => [
    [name, state] as [string, Json],
    ...nestedMachines(state).flatMap(allStates),
  ]);
}

function nestedMachines(state: Json): Json[] {
  return [...((state.Branches as Json[] | undefined) ?? []), ...[state.Iterator, state.ItemProcessor].filter((machine): machine is Json => Boolean(machine))];
}

/** Task state name → Lambda function name; refuses resources this runtime cannot run. */
function lambdaTaskStates(states: [string, Json][], tasks: Readonly<Record<string, TaskFunction>>): [string, string][] {
  return states
    .filter(([, state]) => state.Type === 'Task' && state.Resource !== LOCAL_WAIT_RESOURCE)
    .map(([stateName, state]) => {
      const functionName = LAMBDA_FUNCTION_ARN.exec(String(state.Resource))?.[1];
      if (!functionName) {
        throw new LocalStateMachineError(`Task state "${stateName}" uses ${String(state.Resource)}: the local runtime only runs Lambda function ARNs (payloadResponseOnly).`);
      }
      if (!tasks[functionName]) {
        throw new LocalStateMachineError(`Task state "${stateName}" calls function ${functionName}, which is not among the state machine tasks (${Object.keys(tasks).join(', ')}).`);
      }
      return [stateName, functionName];
    });
}

/**
 * Calls the handler as Lambda would: a fresh copy of the payload, a context counting down
 * from the function's timeout, and the result as JSON. A failure becomes Lambda's error
 * payload, the way Step Functions receives it (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
async function invokeLambda(functionName: string, fn: TaskFunction, loadHandler: (entry: string) => Promise<LambdaHandler>, payload: unknown): Promise<unknown> {
  let handler: LambdaHandler;
  try {
    handler = await loadHandler(fn.entry);
  } catch (error) {
    throw LambdaFunctionError.from(error, 'Runtime.ImportModuleError');
  }
  const context = createLambdaContext({ functionName, memoryMb: fn.memoryMb, timeoutSeconds: fn.timeoutSeconds });
  try {
    const result = await withTimeout(fn.timeoutSeconds, async () => handler(structuredClone(payload), context));
    // undefined is `null` once Lambda serializes it.
    return JSON.parse(JSON.stringify(result ?? null)) as unknown;
  } catch (error) {
    throw LambdaFunctionError.from(error);
  }
}

/**
 * A function error as a Task state sees it: Error is the errorType (the thrown error's
 * name), Cause is Lambda's whole error payload as a JSON string. aws-local-stepfunctions
 * reads `name` as the Error and `message` as the Cause.
 */
class LambdaFunctionError extends Error {
  static from(error: unknown, errorType?: string): LambdaFunctionError {
    const thrown = error instanceof Error ? error : new Error(String(error));
    const type = errorType ?? thrown.name;
    const message = errorType ? `${thrown.name}: ${thrown.message}` : thrown.message;
    const payload = { errorType: type, errorMessage: message, trace: (thrown.stack ?? '').split('\n') };
    return new LambdaFunctionError(type, JSON.stringify(payload));
  }

  private constructor(errorType: string, payload: string) {
    super(payload);
    this.name = errorType;
  }
}

function failure(error: unknown): ExecutionOutcome {
  if (error instanceof ExecutionTimeoutError) {
    return { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution ran past the state machine\'s TimeoutSeconds.' };
  }
  const reason = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error instanceof Error ? error : new Error(String(error));
  return { status: 'FAILED', error: reason.name, cause: reason.message };
}

const LOCAL_WAIT_COMMENT = 'Wait state, capped by the local runtime';

interface WaitPayload {
  seconds?: unknown;
  timestamp?: unknown;
  input: unknown;
}

/**
 * aws-local-stepfunctions can only replace a Wait state's duration with a fixed one,
 * and a cap needs the duration the state computes from its input. So, when capped, each
 * Wait state becomes a Task state that hands the duration (its Parameters evaluate the
 * same Seconds/SecondsPath/Timestamp/TimestampPath) and its input to cappedWait, which
 * waits and returns the input: the state's output, InputPath and OutputPath applied as
 * the Wait state would. Names, transitions and everything else stay as defined.
 */
function capWaits(definition: Json): Json {
  const states = Object.fromEntries(
    Object.entries((definition.States ?? {}) as Record<string, Json>).map(([name, state]) => {
      if (state.Type === 'Wait') return [name, waitAsTask(state)];
      const nested: Json = { ...state };
      if (Array.isArray(state.Branches)) nested.Branches = (state.Branches as Json[]).map(capWaits);
      for (const key of ['Iterator', 'ItemProcessor'] as const) if (state[key]) nested[key] = capWaits(state[key] as Json);
      return [name, nested];
    }),
  );
  return { ...definition, States: states };
}

function waitAsTask(wait: Json): Json {
  const { Type: _type, Comment: _comment, Seconds, SecondsPath, Timestamp, TimestampPath, ...kept } = wait;
  const duration =
    Seconds !== undefined ? { seconds: Seconds }
    : SecondsPath !== undefined ? { 'seconds.$': SecondsPath }
    : Timestamp !== undefined ? { timestamp: Timestamp }
    : { 'timestamp.$': TimestampPath };
  return { ...kept, Type: 'Task', Comment: LOCAL_WAIT_COMMENT, Resource: LOCAL_WAIT_RESOURCE, Parameters: { ...duration, 'input.$': '$' } };
}

async function cappedWait({ seconds, timestamp, input }: WaitPayload, maxWaitSeconds: number, signal: AbortSignal): Promise<unknown> {
  let durationMs: number;
  if (timestamp !== undefined) {
    durationMs = Date.parse(String(timestamp)) - Date.now();
    if (Number.isNaN(durationMs)) throw statesRuntimeError(`The Wait state's timestamp ${JSON.stringify(timestamp)} is not an ISO 8601 date`);
  } else {
    if (!Number.isInteger(seconds) || (seconds as number) < 0) throw statesRuntimeError(`The Wait state's seconds ${JSON.stringify(seconds)} is not a non-negative integer`);
    durationMs = (seconds as number) * 1000;
  }
  const pauseMs = Math.max(0, Math.min(durationMs, maxWaitSeconds * 1000));
  // An aborted execution's wait ends at once; the run has already settled as ABORTED.
  if (pauseMs > 0) await sleep(pauseMs, undefined, { signal }).catch(() => undefined);
  return input;
}

/** The error a Wait state with a bad duration fails the execution with. */
function statesRuntimeError(message: string): Error {
  const error = new Error(message);
  error.name = 'States.Runtime';
  return error;
}

function cappedRetryPauses(states: [string, Json][], maxWaitSeconds: number): Record<string, number[]> {
  return Object.fromEntries(
    states
      .filter(([, state]) => Array.isArray(state.Retry))
      .map(([name, state]) => [
        name,
        (state.Retry as { IntervalSeconds?: number }[]).map((retrier) => Math.min(retrier.IntervalSeconds ?? 1, maxWaitSeconds) * 1000),
      ]),
  );
}
