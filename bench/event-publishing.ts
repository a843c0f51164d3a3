import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { crmEventsOf, entrySize, type CrmEvent } from '../domain/events/crm-events';
import type { Item } from '../domain/shared/table-port';
import { createLocalEventBus } from '../local/event-bus';
import { startEventBridgeLocal } from '../local/eventbridge-local';
import { createLambdaContext } from '../local/lambda-context';
import { contactRecordItem } from './contact-items';
import { fixed, table, thousands, times } from './report';
import { ratio } from './stats';

/**
 * Events published per second from the table's stream: the real publisher handler
 * (functions/event-publisher.ts) fed stream batches of new contacts, next to raw PutEvents
 * of the same events, 10 per request, through the SDK to the same local endpoint in the
 * same run. What the ratio shows is the publisher's own cost (decoding the stream,
 * building and sizing events); EventBridge's throughput in AWS is the account's PutEvents
 * quota, which no local run measures. The bill per change follows from the real entry
 * sizes: EventBridge charges each 64 KB chunk of an entry as one event.
 */

const BUS = 'crm-bench';
const STREAM_BATCH = 100;
const ENTRIES_PER_REQUEST = 10;
/** EventBridge bills custom events per 64 KB chunk (https://aws.amazon.com/eventbridge/pricing/). */
const BILLED_CHUNK_BYTES = 64 * 1024;

export interface EventPublishingResult {
  readonly changes: number;
  readonly rawEventsPerSecond: number;
  readonly publisherEventsPerSecond: number;
  readonly publisherVsRaw: number;
  /** Mean PutEvents entry size of a new contact's event, and the billed events per change it makes. */
  readonly meanEntryBytes: number;
  readonly billedEventsPerChange: number;
}

function streamRecord(item: Item, sequence: number): DynamoDBRecord {
  return {
    eventID: String(sequence),
    eventName: 'INSERT',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
      NewImage: marshall(item, { removeUndefinedValues: true }) as never,
      SequenceNumber: String(sequence),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

/**
 * In a process of its own: the handler module reads and caches its configuration when it
 * loads (adapters/config.ts), which must not be the one the other sections' handlers see.
 */
export async function measureEventPublishing({ changes }: { changes: number }): Promise<EventPublishingResult> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', self, String(changes)], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as EventPublishingResult;
}

async function measureHere(changes: number): Promise<EventPublishingResult> {
  const local = await startEventBridgeLocal({ buses: { [BUS]: createLocalEventBus({ rules: {} }) }, keep: 1 });
  try {
    const items = await Promise.all(Array.from({ length: changes }, (_, n) => contactRecordItem(n, 'events')));
    const records = items.map((item, index) => streamRecord(item, 1_000 + index));
    const events: CrmEvent[] = items.flatMap((item) => crmEventsOf({ kind: 'inserted', key: { pk: item.pk, sk: item.sk }, entity: String(item.entity), after: item, sequence: '' }));

    const client = new EventBridgeClient({ endpoint: local.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const raw = async (slice: readonly CrmEvent[]) => {
      for (let start = 0; start < slice.length; start += ENTRIES_PER_REQUEST) {
        const Entries = slice
          .slice(start, start + ENTRIES_PER_REQUEST)
          .map((event) => ({ EventBusName: BUS, Source: event.source, DetailType: event.detailType, Time: new Date(event.time), Detail: JSON.stringify(event.detail) }));
        await client.send(new PutEventsCommand({ Entries }));
      }
    };

    // What the stack sets on the function (TABLE_NAME is every function's, unused by this one).
    Object.assign(process.env, { TABLE_NAME: 'crm-bench-events', EVENTBRIDGE_ENDPOINT: local.endpoint, EVENT_BUS_NAME: BUS, POWERTOOLS_METRICS_DISABLED: 'true' });
    const { handler } = await import('../functions/event-publisher');
    const context = createLambdaContext({ functionName: 'eventPublisher', memoryMb: 512, timeoutSeconds: 60 });
    const publish = async (slice: readonly DynamoDBRecord[]) => {
      for (let start = 0; start < slice.length; start += STREAM_BATCH) {
        const answer = await handler({ Records: slice.slice(start, start + STREAM_BATCH) }, context);
        if (answer.batchItemFailures.length > 0) throw new Error(`the publisher handed back ${answer.batchItemFailures.length} records`);
      }
    };

    // Warm both paths (module load, connections, JIT) on the first tenth, untimed.
    const warm = Math.ceil(changes / 10);
    await raw(events.slice(0, warm));
    await publish(records.slice(0, warm));

    const rawStart = performance.now();
    await raw(events.slice(warm));
    const rawSeconds = (performance.now() - rawStart) / 1000;
    const publisherStart = performance.now();
    await publish(records.slice(warm));
    const publisherSeconds = (performance.now() - publisherStart) / 1000;
    client.destroy();

    const timed = changes - warm;
    const sizes = events.map(entrySize);
    const meanEntryBytes = sizes.reduce((sum, size) => sum + size, 0) / sizes.length;
    const billed = sizes.reduce((sum, size) => sum + Math.ceil(size / BILLED_CHUNK_BYTES), 0) / changes;
    return {
      changes,
      rawEventsPerSecond: timed / rawSeconds,
      publisherEventsPerSecond: timed / publisherSeconds,
      publisherVsRaw: ratio(timed / publisherSeconds, timed / rawSeconds),
      meanEntryBytes,
      billedEventsPerChange: billed,
    };
  } finally {
    await local.stop();
  }
}

export function eventPublishingTable(result: EventPublishingResult): string {
  return table(
    `Events published from the stream (${thousands(result.changes)} new contacts, local EventBridge endpoint)`,
    ['path', 'events/s', 'vs raw PutEvents'],
    [
      ['raw PutEvents, 10 entries per request (baseline)', thousands(result.rawEventsPerSecond), times(1)],
      [`publisher handler, stream batches of ${STREAM_BATCH}`, thousands(result.publisherEventsPerSecond), times(result.publisherVsRaw)],
    ],
    [
      `A contact's event is ${thousands(result.meanEntryBytes)} bytes as PutEvents counts it: ${fixed(result.billedEventsPerChange, 2)} billed events per change (64 KB chunks).`,
      "In AWS the ceiling is the account's PutEvents quota (Service Quotas, per region), not this machine.",
    ],
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await measureHere(Number(process.argv[2])))}\n`);
}
