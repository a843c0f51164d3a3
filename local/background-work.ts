import { loadConfig } from '../adapters/config';
import { createDynamoDbClient } from '../adapters/dynamodb/document-client';
import { createLocalEventBus } from './event-bus';
import { LOCAL_SES_CONFIGURATION_SET } from './local-arns';
import { startSesEventSource } from './ses-event-source';
import { startLocalScheduler, type LocalScheduler } from './scheduler-local';
import { startStreamPoller, type StreamPoller } from './stream-poller';

export interface BackgroundWork {
  readonly streams: StreamPoller;
  readonly scheduler: LocalScheduler;
  stop(): Promise<void>;
}

/**
 * What runs after requests, as deployed: the consumers of the table's stream, SES's events
 * for the local configuration set's mail through the EventBridge rules, and the schedules. Start it
 * once the environment is complete (useLocalAwsEnvironment, PUBLIC_API_URL): the stream
 * consumers' modules load, and read their config, right away.
 */
export async function startBackgroundWork({
  tableName,
  dynamodbEndpoint,
  sesStoreUrl,
  maxWaitSeconds,
  schedules = true,
  streamPositionFile,
}: {
  tableName: string;
  dynamodbEndpoint: string;
  sesStoreUrl: string;
  /** Ticks come at least this often (CRM_LOCAL_MAX_WAIT_SECONDS). */
  maxWaitSeconds?: number;
  /** False: schedules fire only when told (`scheduler.fire`), as tests want. */
  schedules?: boolean;
  /** Where the stream consumers' position is kept between runs (npm start's data folder). */
  streamPositionFile?: string;
}): Promise<BackgroundWork> {
  // A copy of the environment, so this client's config is not the one the handlers cache.
  const streams = await startStreamPoller({ client: createDynamoDbClient(loadConfig({ ...process.env })), tableName, endpoint: dynamodbEndpoint, ...(streamPositionFile ? { positionFile: streamPositionFile } : {}) });
  const eventBus = createLocalEventBus();
  const sesEvents = startSesEventSource({ storeUrl: sesStoreUrl, configurationSetName: LOCAL_SES_CONFIGURATION_SET, publish: (event) => eventBus.publish(event) });
  const scheduler = startLocalScheduler({ ...(maxWaitSeconds !== undefined ? { maxWaitSeconds } : {}), ...(schedules ? {} : { ticks: false }) });
  return {
    streams,
    scheduler,
    async stop() {
      await scheduler.stop();
      await sesEvents.stop();
      await streams.stop();
    },
  };
}
