import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { MeteredCall } from '../adapters/dynamodb/capacity-meter';

/**
 * The "raw" side of a route: the exact DynamoDB calls the route sent (as the capacity
 * meter recorded them, marshalled), sent again with the low-level client and nothing
 * else: no HTTP, no middleware, no validation, no document marshalling. Calls the
 * route ran in parallel are replayed in parallel, so the raw side keeps its shape.
 */

const commandClasses = {
  GetItem: GetItemCommand,
  Query: QueryCommand,
  BatchGetItem: BatchGetItemCommand,
  TransactGetItems: TransactGetItemsCommand,
  TransactWriteItems: TransactWriteItemsCommand,
  BatchWriteItem: BatchWriteItemCommand,
  PutItem: PutItemCommand,
  DeleteItem: DeleteItemCommand,
  UpdateItem: UpdateItemCommand,
} as const;

export interface RawCall {
  readonly command: keyof typeof commandClasses;
  readonly input: Record<string, unknown>;
}

/** Calls grouped into waves: a call joins the current wave if it started before every call of that wave had finished. */
export function waves<T extends Pick<MeteredCall, 'startedAt' | 'endedAt'>>(calls: readonly T[]): T[][] {
  const result: T[][] = [];
  let current: T[] | undefined;
  let waveEnd = -Infinity;
  for (const call of [...calls].sort((a, b) => a.startedAt - b.startedAt)) {
    if (current && call.startedAt < waveEnd) {
      current.push(call);
      waveEnd = Math.max(waveEnd, call.endedAt);
    } else {
      current = [call];
      result.push(current);
      waveEnd = call.endedAt;
    }
  }
  return result;
}

/**
 * The route's calls as a replay plan. `substitutions` replaces strings throughout the
 * inputs: writes are replayed on fresh ids (a create's conditions would fail on the
 * route's own items), reads are replayed as they were. (A JSON copy is enough: the
 * CRM table stores no binary attributes.)
 */
export function planReplay(calls: readonly MeteredCall[], substitutions: ReadonlyMap<string, string>): RawCall[][] {
  return waves(calls).map((wave) =>
    wave.map((call) => {
      if (!(call.command in commandClasses)) throw new Error(`Cannot replay ${call.command}`);
      let text = JSON.stringify(call.input);
      for (const [from, to] of substitutions) text = text.split(from).join(to);
      return { command: call.command as RawCall['command'], input: JSON.parse(text) as Record<string, unknown> };
    }),
  );
}

export async function replay(client: DynamoDBClient, plan: readonly RawCall[][]): Promise<void> {
  for (const wave of plan) {
    await Promise.all(
      wave.map(({ command, input }) => {
        // The input was recorded for this very operation; the union of command classes cannot say so.
        const Command = commandClasses[command] as unknown as new (input: unknown) => Parameters<DynamoDBClient['send']>[0];
        return client.send(new Command(input));
      }),
    );
  }
}
