import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';
import { createDynamoDbClient } from '../adapters/dynamodb/document-client';
import { loadConfig } from '../adapters/config';
import { deployedStreamConsumers, startStreamPoller } from '../local/stream-poller';
import type { BenchEnvironment } from './bench-environment';
import { documentedCapacity } from './capacity-rules';
import { summarize, type Summary } from './stats';
import { recordChangeBetween, type RecordChange } from '../domain/records/record-change';
import { itemToRecord } from '../domain/records/record-items';
import type { CrmRecord, RecordType } from '../domain/records/record-model';
import { recordKeys } from '../domain/shared/keys';
import type { CrmTablePort } from '../domain/shared/table-port';

/** Write units (documented rules) of the table calls `work` makes. */
export async function writeUnitsOf(work: () => Promise<unknown>): Promise<number> {
  takeMeteredCalls();
  await work();
  return documentedCapacity(takeMeteredCalls()).write;
}

/**
 * A record as stored now, and the write units (documented rules) a stream consumer's use case
 * spends applying the change from `before` to it: what the consumer adds to the write that
 * made the change, measured without waiting for the stream.
 */
export async function consumerWriteUnitsOf(
  table: CrmTablePort,
  type: RecordType,
  id: string,
  before: CrmRecord | undefined,
  apply: (change: RecordChange) => Promise<unknown>,
): Promise<{ readonly after: CrmRecord; readonly units: number }> {
  const after = itemToRecord(await table.getItem(recordKeys.record(type, id)))!;
  return { after, units: await writeUnitsOf(() => apply(recordChangeBetween(type, before, after))) };
}

/**
 * Milliseconds from a write to when a stream consumer's result shows, through the consumer's
 * real handler on DynamoDB Local's stream: `write` makes sample n, `shows` polls for it. The
 * poller reads the stream from its start, so run this before loading much else into the table.
 */
export async function measureStreamLag(
  env: BenchEnvironment,
  consumer: string,
  samples: number,
  write: (sample: number) => Promise<void>,
  shows: (sample: number) => Promise<boolean>,
): Promise<Summary> {
  const config = loadConfig();
  const declaration = deployedStreamConsumers()[consumer];
  if (!declaration) throw new Error(`No stream consumer ${consumer}`);
  const poller = await startStreamPoller({ client: createDynamoDbClient(config), tableName: env.tableName, endpoint: config.DYNAMODB_ENDPOINT!, consumers: { [consumer]: declaration } });
  const lags: number[] = [];
  try {
    for (let sample = 0; sample < samples; sample++) {
      await write(sample);
      const written = performance.now();
      while (!(await shows(sample))) await new Promise((resolve) => setTimeout(resolve, 5));
      lags.push(performance.now() - written);
    }
  } finally {
    await poller.stop();
    takeMeteredCalls();
  }
  return summarize(lags);
}
