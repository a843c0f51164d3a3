import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { finishDeletion } from '../domain/records/delete-record';
import { modelOf } from '../domain/records/record-models';
import type { RecordType } from '../domain/records/record-model';

const runtime = createRuntime();
const processor = new BatchProcessor(EventType.DynamoDBStreams);

/** Every tombstone on the stream: finish that deletion. A failure retries just that record, then goes to the DLQ. */
async function sweep(record: DynamoDBRecord): Promise<void> {
  const image = unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>) as { pk: string; id: string };
  const type = image.pk.slice(0, image.pk.indexOf('#')).toLowerCase() as RecordType;
  logger.info('finishing deletion', { type, id: image.id });
  try {
    await finishDeletion(runtime, modelOf, type, image.id);
  } catch (error) {
    // The dead-letter queue only gets sequence numbers: this line is how an operator finds the record.
    logger.error('deletion could not be finished', { type, id: image.id, sequenceNumber: record.dynamodb?.SequenceNumber, error: error as Error });
    throw error;
  }
}

export const handler = middy<DynamoDBStreamEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event, context) => processPartialResponse(event, sweep, processor, { context }));
