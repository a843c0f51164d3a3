import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { finishDeletion } from '../domain/records/delete-record';
import { modelOf } from '../domain/records/record-models';
import { recordKeys } from '../domain/shared/keys';
import type { RecordType } from '../domain/records/record-model';
import { createStreamHandler } from './stream/stream-handler';

const runtime = createRuntime();

/** Every tombstone on the stream: finish that deletion. A failure retries just that record, then goes to the DLQ. */
export const handler = createStreamHandler(async (image, record) => {
  const { type, id } = recordKeys.parse(image.pk) as { type: RecordType; id: string };
  logger.info('finishing deletion', { type, id });
  try {
    await finishDeletion(runtime, modelOf, type, id);
  } catch (error) {
    // The dead-letter queue only gets sequence numbers: this line is how an operator finds the record.
    logger.error('deletion could not be finished', { type, id, sequenceNumber: record.dynamodb?.SequenceNumber, error: error as Error });
    throw error;
  }
});
