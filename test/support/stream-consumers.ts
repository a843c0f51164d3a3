import { createDynamoDbClient } from '../../adapters/dynamodb/document-client';
import { loadConfig } from '../../adapters/config';
import { deployedStreamConsumers, startStreamPoller, type StreamPoller } from '../../local/stream-poller';
import type { TestApi } from './api-server';

/**
 * The test API's table stream, read by the named consumers as they are deployed (their
 * handlers and filters, functions/manifest.ts): only those a file needs, since the others
 * need what it does not start (the event bus, Step Functions).
 */
export async function pollStream(api: TestApi, ...names: string[]): Promise<StreamPoller> {
  const config = loadConfig();
  const deployed = deployedStreamConsumers();
  return startStreamPoller({ client: createDynamoDbClient(config), tableName: config.TABLE_NAME, endpoint: api.table.endpoint, consumers: Object.fromEntries(names.map((name) => [name, deployed[name]!])) });
}
