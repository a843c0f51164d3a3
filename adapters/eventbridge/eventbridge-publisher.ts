import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { CrmEvent } from '../../domain/events/crm-events';
import type { EventPublisher } from '../../domain/events/publish-events';
import type { Config } from '../config';

/**
 * Puts CRM events on the stage's bus (EVENT_BUS_NAME). PutEvents answers 200 even when
 * some entries failed (throttled, an internal error): those come back by position, for the
 * publisher to try again; only a failure of the whole request throws.
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;

  constructor(private readonly config: Pick<Config, 'AWS_REGION' | 'EVENTBRIDGE_ENDPOINT' | 'EVENT_BUS_NAME'>) {
    this.client = new EventBridgeClient({
      region: config.AWS_REGION,
      ...(config.EVENTBRIDGE_ENDPOINT ? { endpoint: config.EVENTBRIDGE_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
    });
  }

  async putEvents(events: readonly CrmEvent[]) {
    const EventBusName = this.config.EVENT_BUS_NAME;
    if (!EventBusName) throw new Error('EVENT_BUS_NAME is not set: this function cannot publish events.');
    const { Entries = [] } = await this.client.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({ EventBusName, Source: event.source, DetailType: event.detailType, Time: new Date(event.time), Detail: JSON.stringify(event.detail) })),
      }),
    );
    const failed = Entries.flatMap((entry, index) => (entry.ErrorCode ? [{ index, reason: `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}` }] : []));
    return { failed };
  }
}
