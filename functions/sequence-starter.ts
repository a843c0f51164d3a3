import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { StepFunctionsSequenceRunStarter } from '../adapters/step-functions/sequence-run-starter';
import { itemToEnrollment } from '../domain/sequences/sequence-items';
import { startSequenceRun } from '../domain/sequences/sequence-runs';

const base = createRuntime();
const runtime = { ...base, runStarter: new StepFunctionsSequenceRunStarter(base.config) };
const processor = new BatchProcessor(EventType.DynamoDBStreams);

/** Every new or resumed run on the stream (an active enrollment marked `starting`): start its execution. */
async function start(record: DynamoDBRecord): Promise<void> {
  const enrollment = itemToEnrollment(unmarshall(record.dynamodb!.NewImage as Record<string, AttributeValue>) as never);
  const outcome = await startSequenceRun(runtime, enrollment);
  logger.info('sequence run', { outcome, sequenceId: enrollment.sequenceId, contactId: enrollment.contactId, runId: enrollment.runId });
}

export const handler = middy<DynamoDBStreamEvent>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event, context) => processPartialResponse(event, start, processor, { context }));
