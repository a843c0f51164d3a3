import { logger } from '../adapters/logger';
import { createRuntime } from '../adapters/runtime';
import { finishDeletion } from '../domain/records/delete-record';
import { recordChangeOf } from '../domain/records/record-change';
import { modelOf } from '../domain/records/record-models';
import { createStreamHandler } from './stream/stream-handler';

const runtime = createRuntime();

/** Every record deleted (become a tombstone): finish that deletion. A failure retries just that record, then goes to the DLQ. */
export const handler = createStreamHandler(async (change) => {
  const deleted = recordChangeOf(change);
  if (deleted?.event !== 'deleted') return;
  const { recordType: type, id } = deleted;
  logger.info('finishing deletion', { type, id });
  try {
    await finishDeletion(runtime, modelOf, type, id);
  } catch (error) {
    // The dead-letter queue only gets sequence numbers: this line is how an operator finds the record.
    logger.error('deletion could not be finished', { type, id, sequenceNumber: change.sequence, error: error as Error });
    throw error;
  }
});
