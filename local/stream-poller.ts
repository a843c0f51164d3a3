import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { functionsTriggeredBy, type FunctionDeclaration, type Trigger } from '../functions/manifest';
import { matchesEventPattern } from './event-pattern';
import { createLambdaContext } from './lambda-context';

/**
 * Locally, plays Lambda's event source mapping for the table's stream: reads every
 * shard of DynamoDB Local's stream from the start, keeps the records each consumer's
 * filter pattern (the same one the stack deploys) lets through, and invokes the
 * consumer's handler module in batches. Records a handler reports as failed are
 * retried up to the consumer's limit, then reported as dead-lettered.
 */
/** A stream consumer as the poller runs it: its function and its stream trigger, flattened. */
export type StreamConsumer = Pick<FunctionDeclaration, 'entry' | 'memoryMb' | 'timeoutSeconds'> & Omit<Extract<Trigger, { kind: 'stream' }>, 'kind'>;

/** The deployed stream consumers of functions/manifest.ts. */
export const deployedStreamConsumers = (): Record<string, StreamConsumer> =>
  Object.fromEntries(functionsTriggeredBy('stream').map(([name, { entry, memoryMb, timeoutSeconds, trigger }]) => [name, { entry, memoryMb, timeoutSeconds, batchSize: trigger.batchSize, maxRetries: trigger.maxRetries, filterPatterns: trigger.filterPatterns }]));

type StreamHandler = (event: DynamoDBStreamEvent, context: Context) => Promise<DynamoDBBatchResponse | void>;

export interface StreamPoller {
  /** Resolves once every record written so far has been delivered (or dead-lettered). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const POLL_INTERVAL_MS = 200;
const RECORDS_PER_READ = 1000;

export async function startStreamPoller(options: {
  client: DynamoDBClient;
  tableName: string;
  endpoint: string;
  consumers?: Readonly<Record<string, StreamConsumer>>;
  onDeadLetter?: (consumer: string, record: DynamoDBRecord, error: string) => void;
  /**
   * Keeps each shard's last delivered record here, and starts after it next time, as an event
   * source mapping keeps its place: a restart then does not hand every consumer the whole
   * stream again. Without it, the poller reads every shard from its start.
   */
  positionFile?: string;
}): Promise<StreamPoller> {
  const consumers = Object.entries(options.consumers ?? deployedStreamConsumers());
  const handlers = new Map<string, StreamHandler>();
  for (const [name, consumer] of consumers) {
    const module: { handler?: StreamHandler } = await import(pathToFileURL(resolve(REPOSITORY_ROOT, consumer.entry)).href);
    if (typeof module.handler !== 'function') throw new Error(`${consumer.entry} does not export a handler`);
    handlers.set(name, module.handler);
  }
  const { Table } = await options.client.send(new DescribeTableCommand({ TableName: options.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${options.tableName} has no stream`);
  const streams = new DynamoDBStreamsClient({ endpoint: options.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const onDeadLetter = options.onDeadLetter ?? ((consumer, record, error) => console.error(`[streams] ${consumer} gave up on ${record.dynamodb?.SequenceNumber}: ${error}`));

  const iterators = new Map<string, string | undefined>();
  const positions: Record<string, string> = options.positionFile && existsSync(options.positionFile) ? (JSON.parse(readFileSync(options.positionFile, 'utf8')) as Record<string, string>) : {};
  /** Where a shard is read from: after its kept position, or its start (also when the position is gone from the stream). */
  async function iteratorOf(shardId: string): Promise<string | undefined> {
    const after = positions[shardId];
    if (after) {
      try {
        return (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }))).ShardIterator;
      } catch {
        // Trimmed or from another table: from the start.
      }
    }
    return (await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
  }
  const retries = new Map<string, { record: DynamoDBRecord; attempts: number }[]>(consumers.map(([name]) => [name, []]));
  let stopped = false;
  // Polls run one at a time: two readers of one shard iterator would skip or repeat records.
  let chain: Promise<boolean> = Promise.resolve(false);
  /** One poll after the ones running: whether a shard had more records than one read returns. */
  const poll = () =>
    (chain = chain.then(pollOnce).catch((error: unknown) => {
      console.error('[streams] poll failed:', error);
      return false;
    }));

  async function deliver(name: string, consumer: StreamConsumer, records: DynamoDBRecord[], attempts: number): Promise<void> {
    for (let start = 0; start < records.length; start += consumer.batchSize) {
      const batch = records.slice(start, start + consumer.batchSize);
      let failed: Set<string>;
      let reason = 'reported as failed';
      try {
        const context = createLambdaContext({ functionName: name, memoryMb: consumer.memoryMb, timeoutSeconds: consumer.timeoutSeconds });
        const response = await handlers.get(name)!({ Records: batch }, context);
        failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      } catch (error) {
        failed = new Set(batch.map((record) => record.dynamodb!.SequenceNumber!));
        reason = String(error);
      }
      for (const record of batch.filter((candidate) => failed.has(candidate.dynamodb!.SequenceNumber!))) {
        if (attempts >= consumer.maxRetries) onDeadLetter(name, record, reason);
        else retries.get(name)!.push({ record, attempts: attempts + 1 });
      }
    }
  }

  async function pollOnce(): Promise<boolean> {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      if (!iterators.has(shard.ShardId!)) iterators.set(shard.ShardId!, await iteratorOf(shard.ShardId!));
    }
    const fresh: DynamoDBRecord[] = [];
    const reached: Record<string, string> = {};
    let more = false;
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: RECORDS_PER_READ }));
      iterators.set(shardId, page.NextShardIterator);
      fresh.push(...(page.Records ?? []).map((record) => toLambdaRecord(record, streamArn!)));
      more ||= (page.Records?.length ?? 0) >= RECORDS_PER_READ;
      const last = page.Records?.at(-1)?.dynamodb?.SequenceNumber;
      if (last) reached[shardId] = last;
    }
    // Each consumer has its own event source mapping in Lambda: they run side by side, each in stream order.
    await Promise.all(
      consumers.map(async ([name, consumer]) => {
        const due = retries.get(name)!.splice(0);
        for (const { record, attempts } of due) await deliver(name, consumer, [record], attempts);
        await deliver(name, consumer, fresh.filter((record) => consumer.filterPatterns.some((pattern) => matchesEventPattern(pattern as never, record))), 0);
      }),
    );
    // Delivered (or waiting in memory for a retry): kept, so a restart resumes after them.
    if (options.positionFile && Object.keys(reached).length > 0) {
      Object.assign(positions, reached);
      writeFileSync(options.positionFile, JSON.stringify(positions));
    }
    return more;
  }

  const loop = (async () => {
    while (!stopped) {
      await poll();
      await new Promise((wake) => setTimeout(wake, POLL_INTERVAL_MS));
    }
  })();

  return {
    async drain() {
      // One read of a shard returns at most RECORDS_PER_READ: polls again while a shard had more, or a record waits for a retry.
      let more = await poll();
      while (more || [...retries.values()].some((pending) => pending.length > 0)) more = await poll();
    },
    async stop() {
      stopped = true;
      await loop;
      streams.destroy();
    },
  };
}

/** The stream record as Lambda delivers it (the SDK returns the same shape, with Date timestamps). */
function toLambdaRecord(record: StreamRecord, eventSourceARN: string): DynamoDBRecord {
  const { ApproximateCreationDateTime, ...dynamodb } = record.dynamodb ?? {};
  return {
    eventID: record.eventID!,
    eventName: record.eventName as DynamoDBRecord['eventName'],
    eventVersion: record.eventVersion ?? '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN,
    dynamodb: {
      ...(dynamodb as DynamoDBRecord['dynamodb']),
      ...(ApproximateCreationDateTime ? { ApproximateCreationDateTime: Math.floor(new Date(ApproximateCreationDateTime).getTime() / 1000) } : {}),
    },
  };
}
