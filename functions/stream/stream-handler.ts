import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../../adapters/logger';
import type { Item } from '../../domain/shared/table-port';

/**
 * A consumer of the table's stream (functions/stream-consumers.ts): each record's new
 * image goes to `processImage`. A record that throws is reported alone (partial batch
 * response), so Lambda retries just that one, then sends it to the dead-letter queue.
 */
export function createStreamHandler(processImage: (image: Item, record: DynamoDBRecord) => Promise<void>) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const processRecord = (record: DynamoDBRecord) => processImage(unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>) as Item, record);
  return middy<DynamoDBStreamEvent>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler((event, context) => processPartialResponse(event, processRecord, processor, { context }));
}
