import type { ConsumedCapacity, DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * Counts what each request costs on the table: every DynamoDB call a client sends,
 * with the capacity DynamoDB says it consumed. The benchmarks (bench/) read it to put
 * round trips and capacity units next to each route; nothing in the app reads it.
 *
 * Off unless CRM_CAPACITY_METER=1, and then only for clients created after it was set.
 * Off means the middleware is never attached, so production pays nothing for it.
 * The switch is read here rather than in adapters/config.ts on purpose: it is a
 * measurement hook, not a setting of the deployed app, and no Lambda ever sets it.
 */
export function capacityMeterEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CRM_CAPACITY_METER === '1';
}

export interface MeteredCall {
  /** Operation name without the SDK's `Command` suffix: GetItem, Query, TransactWriteItems, … */
  readonly command: string;
  /** The input as sent on the wire (attribute values marshalled), so a call can be replayed as is. */
  readonly input: Record<string, unknown>;
  /** The SDK's output (document-client calls already unmarshalled); undefined when the call failed. */
  readonly output?: Record<string, unknown>;
  /** What DynamoDB returned in ConsumedCapacity, always as a list (batch and transaction calls return one per table). */
  readonly consumedCapacity: readonly ConsumedCapacity[];
  /** HTTP attempts the SDK made (retries included): the round trips this call cost. */
  readonly attempts: number;
  /** performance.now() at start and end, to tell calls that ran in parallel from sequential ones. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Error name when the call failed (e.g. TransactionCanceledException). */
  readonly error?: string;
}

/** Operations that accept ReturnConsumedCapacity (DynamoDB API reference). */
const capacityReporting = new Set([
  'GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem',
  'TransactGetItems', 'TransactWriteItems', 'ExecuteStatement', 'BatchExecuteStatement', 'ExecuteTransaction',
]);

/** Bounded so a process left metering for hours cannot grow without limit; a bench takes calls far more often. */
const MAX_KEPT_CALLS = 10_000;
const recorded: MeteredCall[] = [];

/** The calls recorded since the last take, oldest first; the collector starts empty again. */
export function takeMeteredCalls(): MeteredCall[] {
  return recorded.splice(0, recorded.length);
}

function record(call: MeteredCall): void {
  recorded.push(call);
  if (recorded.length > MAX_KEPT_CALLS) recorded.shift();
}

const operationOf = (commandName: string | undefined) => (commandName ?? 'Unknown').replace(/Command$/, '');
const asList = (capacity: unknown): ConsumedCapacity[] =>
  capacity === undefined ? [] : Array.isArray(capacity) ? (capacity as ConsumedCapacity[]) : [capacity as ConsumedCapacity];

/** Adds the meter to a client. Document clients built on it are metered too (they share its middleware stack). */
export function attachCapacityMeter(client: DynamoDBClient): void {
  // Initialize step: before the document client marshals and the serializer runs, so the flag goes on the wire.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (!capacityReporting.has(operationOf(context.commandName)) || input.ReturnConsumedCapacity !== undefined) return next(args);
      return next({ ...args, input: { ...input, ReturnConsumedCapacity: 'TOTAL' } });
    },
    { step: 'initialize', name: 'capacityMeterRequest' },
  );
  // Build step: the input is marshalled by now (replayable with the low-level client) and the
  // retry middleware runs inside this one, so one record covers every attempt of a call.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = operationOf(context.commandName);
      const input = args.input as Record<string, unknown>;
      const startedAt = performance.now();
      try {
        const result = await next(args);
        const output = result.output as Record<string, unknown> & { $metadata?: { attempts?: number } };
        record({ command, input, output, consumedCapacity: asList(output.ConsumedCapacity), attempts: output.$metadata?.attempts ?? 1, startedAt, endedAt: performance.now() });
        return result;
      } catch (error) {
        const failure = error as Error & { $metadata?: { attempts?: number } };
        record({ command, input, consumedCapacity: [], attempts: failure.$metadata?.attempts ?? 1, startedAt, endedAt: performance.now(), error: failure.name });
        throw error;
      }
    },
    { step: 'build', name: 'capacityMeterRecord' },
  );
}
