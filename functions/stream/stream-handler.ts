import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { TableChange } from '../../domain/shared/table-change';
import type { Item } from '../../domain/shared/table-port';
import { lambdaHandler } from '../lambda-handler';

const kinds = { INSERT: 'inserted', MODIFY: 'modified', REMOVE: 'removed' } as const;
const image = (raw: Record<string, AttributeValue> | undefined) => (raw ? (unmarshall(raw) as Item) : undefined);

/** A stream record as the domain reads it: decoded once, here, and nowhere else. */
export function tableChangeOf(record: DynamoDBRecord): TableChange {
  const stream = record.dynamodb!;
  const before = image(stream.OldImage as Record<string, AttributeValue> | undefined);
  const after = image(stream.NewImage as Record<string, AttributeValue> | undefined);
  const key = unmarshall(stream.Keys as Record<string, AttributeValue>) as { pk: string; sk: string };
  return {
    kind: kinds[record.eventName!],
    key: { pk: key.pk, sk: key.sk },
    entity: String((after ?? before)?.entity ?? ''),
    ...(before ? { before } : {}),
    ...(after ? { after } : {}),
    ...(stream.ApproximateCreationDateTime ? { committedAt: new Date(stream.ApproximateCreationDateTime * 1000).toISOString() } : {}),
    sequence: stream.SequenceNumber ?? '',
  };
}

/**
 * A consumer of the table's stream (functions/manifest.ts): each record, decoded into a
 * TableChange, goes to `process`. A record that throws is reported alone (partial batch
 * response), so Lambda retries just that one, then sends it to the dead-letter queue.
 */
export function createStreamHandler(process: (change: TableChange) => Promise<void>) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const processRecord = (record: DynamoDBRecord) => process(tableChangeOf(record));
  return lambdaHandler((event: DynamoDBStreamEvent, context) => processPartialResponse(event, processRecord, processor, { context }));
}

/**
 * A consumer for which order matters: the whole batch goes to `process` in stream order,
 * which answers the position of the first change it could not finish. That change and
 * every one after it are reported failed, so Lambda checkpoints before it and retries from
 * there (bisecting, then dead-lettering, a change that never goes through).
 */
export function createInOrderStreamHandler(process: (changes: TableChange[]) => Promise<number | undefined>) {
  return lambdaHandler(async (event: DynamoDBStreamEvent) => {
    const firstUnfinished = await process(event.Records.map(tableChangeOf));
    const unfinished = firstUnfinished === undefined ? [] : event.Records.slice(firstUnfinished);
    return { batchItemFailures: unfinished.map((record) => ({ itemIdentifier: record.dynamodb!.SequenceNumber! })) };
  });
}
