import { randomUUID } from 'node:crypto';
import { ServiceError, startAwsJsonEndpoint, type AwsJsonOperations } from './aws-json-endpoint';
import { createLocalStateMachine, type ExecutionOutcome, type LocalStateMachine, type LocalStateMachineOptions } from './local-state-machine';

/**
 * A local Step Functions endpoint for the AWS SDK (`new SFNClient({ endpoint })`): the
 * AWS JSON 1.0 protocol (`POST /`, `X-Amz-Target: AWSStepFunctions.<Operation>`; the
 * signature is not checked) for StartExecution, DescribeExecution, ListExecutions and
 * StopExecution, over the state machines it is given. Executions run in this process
 * in the background (see local-state-machine.ts) and live only as long as it does.
 */

export interface StepFunctionsLocalOptions extends LocalStateMachineOptions {
  /** State machine ARN → its Amazon States Language definition. */
  stateMachines: Readonly<Record<string, Record<string, unknown>>>;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Called when an execution ends, whatever its status (e.g. to log failures). */
  onExecutionEnd?: (execution: ExecutionDescription) => void;
}

export interface StepFunctionsLocal {
  endpoint: string;
  port: number;
  /** Aborts the running executions and closes the endpoint. */
  stop(): Promise<void>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** DescribeExecution's answer, dates as Date. */
export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

interface Execution extends ExecutionDescription {
  abort(): void;
  ended: Promise<void>;
}

const STATE_MACHINE_ARN = /^arn:aws[\w-]*:states:([\w-]+):(\d{12}):stateMachine:([\w-]{1,80})$/;
/** StartExecution's name rules: 1-80 characters, none of whitespace, brackets, wildcards, these punctuation marks or control characters. */
const EXECUTION_NAME = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const DEFAULT_PAGE_SIZE = 100;

export async function startStepFunctionsLocal(options: StepFunctionsLocalOptions): Promise<StepFunctionsLocal> {
  const { stateMachines, port = 0, host = '127.0.0.1', onExecutionEnd } = options;
  const machines = new Map<string, LocalStateMachine>();
  for (const [arn, definition] of Object.entries(stateMachines)) {
    if (!STATE_MACHINE_ARN.test(arn)) throw new Error(`${arn} is not a state machine ARN`);
    machines.set(arn, createLocalStateMachine(definition, options));
  }
  const executions = new Map<string, Execution>();

  const operations: AwsJsonOperations = {
    StartExecution(request) {
      const stateMachineArn = requiredString(request, 'stateMachineArn');
      const machine = machines.get(stateMachineArn);
      if (!machine) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
      const name = request.name === undefined ? randomUUID() : requiredString(request, 'name');
      if (!EXECUTION_NAME.test(name)) throw new ServiceError('InvalidName', `Invalid Name: '${name}'`);
      const input = request.input === undefined ? '{}' : requiredString(request, 'input');
      let parsedInput: unknown;
      try {
        parsedInput = JSON.parse(input);
      } catch {
        throw new ServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input}'`);
      }
      const executionArn = stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
      const existing = executions.get(executionArn);
      if (existing) {
        // Standard workflows are idempotent per name only while the first execution runs with the same input.
        if (existing.status === 'RUNNING' && existing.input === input) return { executionArn, startDate: epochSeconds(existing.startDate) };
        throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
      }
      const run = machine.start(parsedInput, { executionArn, executionName: name, stateMachineArn, stateMachineName: stateMachineArn.split(':').at(-1)! });
      const execution: Execution = {
        executionArn,
        stateMachineArn,
        name,
        status: 'RUNNING',
        startDate: new Date(),
        input,
        abort: run.abort,
        ended: run.outcome.then((outcome) => end(execution, outcome)),
      };
      executions.set(executionArn, execution);
      return { executionArn, startDate: epochSeconds(execution.startDate) };
    },

    DescribeExecution(request) {
      const execution = findExecution(requiredString(request, 'executionArn'));
      const { abort: _abort, ended: _ended, ...description } = execution;
      return {
        ...serialize(description),
        inputDetails: { included: true },
        ...(execution.output === undefined ? {} : { outputDetails: { included: true } }),
      };
    },

    ListExecutions(request) {
      const stateMachineArn = requiredString(request, 'stateMachineArn');
      if (!machines.has(stateMachineArn)) throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
      const statusFilter = request.statusFilter as ExecutionStatus | undefined;
      const matching = [...executions.values()]
        .filter((execution) => execution.stateMachineArn === stateMachineArn && (!statusFilter || execution.status === statusFilter))
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
      const pageSize = typeof request.maxResults === 'number' && request.maxResults > 0 ? request.maxResults : DEFAULT_PAGE_SIZE;
      const offset = typeof request.nextToken === 'string' ? Number(Buffer.from(request.nextToken, 'base64url').toString('utf8')) : 0;
      if (!Number.isInteger(offset) || offset < 0) throw new ServiceError('InvalidToken', 'Invalid Token');
      const page = matching.slice(offset, offset + pageSize);
      return {
        executions: page.map(({ executionArn, stateMachineArn: arn, name, status, startDate, stopDate }) => serialize({ executionArn, stateMachineArn: arn, name, status, startDate, stopDate })),
        ...(offset + pageSize < matching.length ? { nextToken: Buffer.from(String(offset + pageSize)).toString('base64url') } : {}),
      };
    },

    StopExecution(request) {
      const execution = findExecution(requiredString(request, 'executionArn'));
      if (execution.status === 'RUNNING') {
        close(execution, {
          status: 'ABORTED',
          ...(typeof request.error === 'string' ? { error: request.error } : {}),
          ...(typeof request.cause === 'string' ? { cause: request.cause } : {}),
        });
        execution.abort();
      }
      return { stopDate: epochSeconds(execution.stopDate!) };
    },
  };

  function findExecution(executionArn: string): Execution {
    const execution = executions.get(executionArn);
    if (!execution) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return execution;
  }

  /** Records how the run ended, unless StopExecution (or stop) closed it first. */
  function end(execution: Execution, outcome: ExecutionOutcome): void {
    if (execution.status === 'RUNNING') close(execution, outcome);
  }

  function close(execution: Execution, outcome: Pick<ExecutionDescription, 'status' | 'output' | 'error' | 'cause'>): void {
    Object.assign(execution, { ...outcome, stopDate: new Date() });
    onExecutionEnd?.(execution);
  }

  const endpoint = await startAwsJsonEndpoint({ targetPrefix: 'AWSStepFunctions', protocolVersion: '1.0', operations, logTag: '[states]', port, host });
  return {
    endpoint: endpoint.endpoint,
    port: endpoint.port,
    async stop() {
      const running = [...executions.values()].filter((execution) => execution.status === 'RUNNING');
      for (const execution of running) {
        close(execution, { status: 'ABORTED' });
        execution.abort();
      }
      await Promise.all(running.map((execution) => execution.ended));
      await endpoint.close();
    },
  };
}

function requiredString(request: Record<string, unknown>, field: string): string {
  const value = request[field];
  if (typeof value !== 'string' || value === '') throw new ServiceError('ValidationException', `${field} is required`);
  return value;
}

/** The service's timestamps: epoch seconds, milliseconds as the fraction. */
function epochSeconds(date: Date): number {
  return date.getTime() / 1000;
}

function serialize(description: Partial<ExecutionDescription>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(description)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, value instanceof Date ? epochSeconds(value) : value]),
  );
}
