import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { createRuntime } from '../adapters/runtime';
import { recordChangeOf } from '../domain/records/record-change';
import { keepEmailReportsOf, keepReportsOf } from '../domain/reports/report-keeper';
import { createInOrderStreamHandler } from './stream/stream-handler';

const runtime = createRuntime();

/**
 * Every committed change of a deal, contact, activity or email message: the report counters, in stream
 * order. A change that fails is retried with every one after it (each applies at most once).
 */
export const handler = createInOrderStreamHandler(async (tableChanges) => {
  for (const [position, tableChange] of tableChanges.entries()) {
    const change = recordChangeOf(tableChange);
    try {
      if (change && (await keepReportsOf(runtime, change))) {
        // From the write to the counters: how far reports trail the records.
        metrics.addMetric('ReportLag', 'Milliseconds', Date.now() - Date.parse(change.at));
      }
      await keepEmailReportsOf(runtime, tableChange);
    } catch (error) {
      logger.error('report counters could not be updated', { key: tableChange.key, sequenceNumber: tableChange.sequence, error: error as Error });
      return position;
    }
  }
  return undefined;
});
