import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { createRuntime } from '../adapters/runtime';
import { recordChangeOf } from '../domain/records/record-change';
import { indexRecordChanges } from '../domain/records/record-index';
import { createInOrderStreamHandler } from './stream/stream-handler';

const runtime = createRuntime();

/**
 * Every committed change of a record: its search terms, list entries and duplicate candidates, in stream order.
 * A batch that fails is retried whole (applying it again writes the same state).
 */
export const handler = createInOrderStreamHandler(async (tableChanges) => {
  const changes = tableChanges.map(recordChangeOf).filter((change) => change !== undefined);
  if (changes.length === 0) return undefined;
  try {
    const written = await indexRecordChanges(runtime, changes);
    const oldest = changes.reduce((earliest, change) => Math.min(earliest, Date.parse(change.at)), Date.now());
    // From the write to its derived items in the table: how long a new or renamed record takes to be found and listed.
    metrics.addMetric('RecordIndexLag', 'Milliseconds', Date.now() - oldest);
    metrics.addMetric('IndexItemsWritten', 'Count', written.put + written.deleted);
    metrics.addMetric('DuplicatePairsWritten', 'Count', written.pairs);
    return undefined;
  } catch (error) {
    logger.error('derived items could not be written', { first: tableChanges[0]?.key, sequenceNumber: tableChanges[0]?.sequence, error: error as Error });
    return 0;
  }
});
