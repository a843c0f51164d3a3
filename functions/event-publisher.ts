import { EventBridgePublisher } from '../adapters/eventbridge/eventbridge-publisher';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';
import { loadConfig } from '../adapters/config';
import { systemClock } from '../adapters/system-clock';
import { crmEventsOf } from '../domain/events/crm-events';
import { publishInOrder } from '../domain/events/publish-events';
import { createInOrderStreamHandler } from './stream/stream-handler';

// No table client: the stream brings everything an event says.
const deps = { clock: systemClock, publisher: new EventBridgePublisher(loadConfig()) };

/** Every committed change of a record, email or enrollment: its events, on the stage's bus, in stream order. */
export const handler = createInOrderStreamHandler(async (changes) => {
  const outcome = await publishInOrder(deps, changes.map(crmEventsOf));
  metrics.addMetric('CrmEventsPublished', 'Count', outcome.published);
  if (!outcome.unpublished) return undefined;
  const change = changes[outcome.unpublished.change]!;
  // The dead-letter queue only gets sequence numbers: this line names the item for an operator.
  logger.error('events could not be published', { key: change.key, sequenceNumber: change.sequence, reason: outcome.unpublished.reason });
  metrics.addMetric('CrmEventsUnpublished', 'Count', 1);
  return outcome.unpublished.change;
});
