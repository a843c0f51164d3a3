import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { createRuntime } from '../adapters/runtime';
import { recordChangeOf } from '../domain/records/record-change';
import { indexRecordChanges } from '../domain/search/search-index';
import { createInOrderStreamHandler } from './stream/stream-handler';

const runtime = createRuntime();

/**
 * Every committed change of a contact, company or deal: its search terms, in stream order.
 * A batch that fails is retried whole (applying it again writes the same state).
 */
export const handler = createInOrderStreamHandler(async (tableChanges) => {
  const changes = tableChanges.map(recordChangeOf).filter((change) => change !== undefined);
  if (changes.length === 0) return undefined;
  try {
    const written = await indexRecordChanges(runtime.table, changes);
    const oldest = changes.reduce((earliest, change) => Math.min(earliest, Date.parse(change.at)), Date.now());
    // From the write to its terms in the table: how long a new or renamed record takes to be found.
    metrics.addMetric('SearchIndexLag', 'Milliseconds', Date.now() - oldest);
    metrics.addMetric('SearchTermsWritten', 'Count', written.put + written.deleted);
    return undefined;
  } catch (error) {
    logger.error('search terms could not be written', { first: tableChanges[0]?.key, sequenceNumber: tableChanges[0]?.sequence, error: error as Error });
    return 0;
  }
});
