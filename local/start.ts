import { loadConfig } from '../adapters/config';
import { createDocumentClient, createDynamoDbClient } from '../adapters/dynamodb/document-client';
import { ensureTable } from './create-table';
import { startDynamoDbLocal } from './dynamodb-local';
import { startGateway, type Gateway } from './gateway';
import { useLocalAwsEnvironment } from './local-environment';
import { createLocalJwtAuthorizer, loadOrCreateSigningKey } from './local-jwt';
import { loadLocalSettings } from './local-settings';
import { startStreamPoller, type StreamPoller } from './stream-poller';

/**
 * `npm start`: the whole API on this machine, without an AWS account. DynamoDB Local
 * keeps its data in CRM_DATA_DIR between runs; the gateway serves the same handlers
 * and routes that deploy.
 */

const settings = loadLocalSettings();
const { dataDir } = settings;
const authorizer = await createLocalJwtAuthorizer(await loadOrCreateSigningKey(settings.signingKeyPath));

const dynamodb = await startDynamoDbLocal({ dbPath: dataDir });
useLocalAwsEnvironment({ tableName: settings.TABLE_NAME, dynamodbEndpoint: dynamodb.endpoint });

let gateway: Gateway;
let streams: StreamPoller;
try {
  await ensureTable(createDocumentClient(loadConfig()), settings.TABLE_NAME);
  gateway = await startGateway({ port: settings.PORT, authorizer });
  streams = await startStreamPoller({ client: createDynamoDbClient(loadConfig()), tableName: settings.TABLE_NAME, endpoint: dynamodb.endpoint });
} catch (error) {
  await dynamodb.stop();
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  console.error(`Port ${settings.PORT} is already in use: stop what listens there, or pick another port (PORT=3001 npm start).`);
  process.exit(1);
}

console.log(`CRM API    ${gateway.url}
Health     ${gateway.url}/health
API docs   ${gateway.url}/docs
Token      npm run --silent token -- --role admin   (send as Authorization: Bearer <token>)
DynamoDB   ${dynamodb.endpoint} (table ${settings.TABLE_NAME}, data in ${dataDir}; stream consumers running)
Press Ctrl+C to stop.`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the API and DynamoDB Local…`);
  await gateway.close();
  await streams.stop();
  await dynamodb.stop();
  // Handler modules may hold timers or keep-alive sockets that would keep Node running.
  process.exit(0);
}
process.on('SIGINT', (signal) => void shutdown(signal));
process.on('SIGTERM', (signal) => void shutdown(signal));
