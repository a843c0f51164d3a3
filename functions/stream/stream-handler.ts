import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { Item } from '../../domain/shared/table-port';
import { lambdaHandler } from '../lambda-handler';

/**
 * A consumer of the table's stream (functions/manifest.ts): each record's new
 * image goes to `processImage`. A record that throws is reported alone (partial batch
 * response), so Lambda retries just that one, then sends it to the dead-letter queue.
 */
export function createStreamHandler(processImage: (image: Item, record: DynamoDBRecord) => Promise<void>) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const processRecord = (record: DynamoDBRecord) => processImage(unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>) as Item, record);
  return lambdaHandler((event: DynamoDBStreamEvent, context) => processPartialResponse(event, processRecord, processor, { context }));
}
