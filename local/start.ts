import { functionManifest } from '../functions/manifest';
import { startBackgroundWork } from './background-work';
import { startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { startEventBridgeLocal, type EventBridgeLocal } from './eventbridge-local';
import { startGateway, type Gateway } from './gateway';
import { useLocalAwsEnvironment } from './local-environment';
import { createLocalJwtAuthorizer, loadOrCreateSigningKey, mintToken } from './local-jwt';
import { loadLocalSettings, localRuntimeFile } from './local-settings';
import { LOCAL_EVENT_BUS_NAME } from './local-arns';
import { localStateMachines } from './local-state-machines';
import { prepareTable } from './prepare-table';
import { startLocalSes, type LocalSes } from './ses-local';
import { startSqsLocal, type SqsLocal } from './sqs-local';
import { LOCAL_EXPORT_BUCKET, LOCAL_INBOUND_MAIL_BUCKET, startS3Local, type S3Local } from './s3-local';
import { LOCAL_INBOUND_DOMAIN, startSmtpLocal, type SmtpLocal } from './smtp-local';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStepFunctionsLocal, type ExecutionDescription, type StepFunctionsLocal } from './step-functions-local';

/**
 * `npm start`: the whole CRM on this machine, without an AWS account. DynamoDB Local
 * keeps its data in CRM_DATA_DIR between runs; the gateway serves the same handlers
 * and routes that deploy; SES, Step Functions and the EventBridge rules run as local
 * emulators (mail and executions live only as long as this process).
 */

const settings = loadLocalSettings();
const { dataDir } = settings;
const signingKey = await loadOrCreateSigningKey(settings.signingKeyPath);
const authorizer = await createLocalJwtAuthorizer(signingKey);

/** Everything started so far, stopped in reverse order (consumers before what they consume). */
const running: { stop(): Promise<void> }[] = [];
const track = <T extends { stop(): Promise<void> }>(service: T): T => (running.push(service), service);
async function stopAll(): Promise<void> {
  for (const service of running.splice(0).reverse()) await service.stop();
}

// From the first service on (Java ignores Ctrl+C): one started meanwhile is still stopped, by process.exit's 'exit' handlers.
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the API and the local AWS services…`);
  await stopAll();
  // Handler modules may hold timers or keep-alive sockets that would keep Node running.
  process.exit(0);
}
process.on('SIGINT', (signal) => void shutdown(signal));
process.on('SIGTERM', (signal) => void shutdown(signal));

let dynamodb: DynamoDbLocal;
let ses: LocalSes;
let stepFunctions: StepFunctionsLocal;
let eventBridge: EventBridgeLocal;
let gateway: Gateway;
let sqs: SqsLocal;
let s3: S3Local;
let smtp: SmtpLocal;
try {
  // Deaf to Ctrl+C: it would otherwise end Java before the consumers writing to it stop; shutdown stops it last.
  dynamodb = track(await startDynamoDbLocal({ dbPath: dataDir, ignoreCtrlC: true }));
  ses = track(await startLocalSes());
  stepFunctions = track(
    await startStepFunctionsLocal({ stateMachines: localStateMachines(), maxWaitSeconds: settings.CRM_LOCAL_MAX_WAIT_SECONDS, onExecutionEnd: reportFailure }),
  );
  // The stage's bus, with the CRM's own rules on it (functions/manifest.ts); every event is logged here.
  eventBridge = track(await startEventBridgeLocal({ print: settings.CRM_LOCAL_PRINT_EVENTS }));
  // Webhook deliveries wait here; their retry pauses are capped like the state machines' waits.
  // Raw received mail, kept with the rest of the local data.
  s3 = track(await startS3Local({ directory: join(dataDir, 's3') }));
  sqs = track(await startSqsLocal({ ...(settings.CRM_LOCAL_MAX_WAIT_SECONDS !== undefined ? { maxWaitSeconds: settings.CRM_LOCAL_MAX_WAIT_SECONDS } : {}) }));
  useLocalAwsEnvironment({
    tableName: settings.TABLE_NAME,
    dynamodbEndpoint: dynamodb.endpoint,
    sesEndpoint: ses.endpoint,
    stepFunctionsEndpoint: stepFunctions.endpoint,
    ...(settings.CRM_LOCAL_MAX_WAIT_SECONDS !== undefined ? { maxWaitSeconds: settings.CRM_LOCAL_MAX_WAIT_SECONDS } : {}),
    eventBridgeEndpoint: eventBridge.endpoint,
    sqs,
    inbound: { s3Endpoint: s3.endpoint, domain: LOCAL_INBOUND_DOMAIN, bucket: LOCAL_INBOUND_MAIL_BUCKET },
    exports: { s3Endpoint: s3.endpoint, bucket: LOCAL_EXPORT_BUCKET },
  });
  // As after a deploy: the table as the stack describes it, every data migration applied.
  const prepared = await prepareTable({ tableName: settings.TABLE_NAME, endpoint: dynamodb.endpoint, log: (message) => console.log(`[migrate] ${message}`) });
  if (prepared.applied.length > 0) console.log(`[migrate] applied ${prepared.applied.join(', ')}`);
  gateway = await startGateway({ port: settings.PORT, authorizer });
  // Unsubscribe links in sequence mail point here (handlers read it at their first request).
  process.env.PUBLIC_API_URL ??= gateway.url;
  track({ stop: () => gateway.close() });
  // Mail to the inbound domain, as SES receiving would take it; its function loads on the first message.
  smtp = track(await startSmtpLocal({ port: settings.CRM_LOCAL_SMTP_PORT, s3Endpoint: s3.endpoint }));
  track(
    await startBackgroundWork({
      tableName: settings.TABLE_NAME,
      dynamodbEndpoint: dynamodb.endpoint,
      sesStoreUrl: ses.storeUrl,
      ...(settings.CRM_LOCAL_MAX_WAIT_SECONDS !== undefined ? { maxWaitSeconds: settings.CRM_LOCAL_MAX_WAIT_SECONDS } : {}),
      // A restart resumes the stream where it stopped, as deployed consumers do.
      streamPositionFile: join(dataDir, 'stream-position.json'),
    }),
  );
} catch (error) {
  // Stopped by a Ctrl+C while starting: what failed is what shutdown stopped, and shutdown exits.
  if (stopping) await new Promise<never>(() => undefined);
  await stopAll();
  if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
  console.error(`Port ${settings.PORT} is already in use: stop what listens there, or pick another port (PORT=3001 npm start).`);
  process.exit(1);
}

const waits =
  settings.CRM_LOCAL_MAX_WAIT_SECONDS === undefined
    ? 'waits last as deployed; CRM_LOCAL_MAX_WAIT_SECONDS=5 caps them'
    : `waits capped at ${settings.CRM_LOCAL_MAX_WAIT_SECONDS} s (CRM_LOCAL_MAX_WAIT_SECONDS)`;
// token and seed read the signing key from the data folder: they need the same one.
const sameDataDir = process.env.CRM_DATA_DIR ? `CRM_DATA_DIR=${process.env.CRM_DATA_DIR} ` : '';
writeFileSync(localRuntimeFile(dataDir), `${JSON.stringify({ tableName: settings.TABLE_NAME, dynamodbEndpoint: dynamodb.endpoint, apiUrl: gateway.url }, null, 2)}\n`);
// The dashboard takes its token from the address's fragment (never sent to a server): a manager's, for a day.
const dashboardToken = await mintToken(signingKey, { kind: 'user', id: 'local-manager', role: 'manager' }, { expiresInSeconds: 24 * 3600 });
console.log(`CRM API         ${gateway.url}
Health          ${gateway.url}/health
API docs        ${gateway.url}/docs
Dashboard       ${gateway.url}/dashboard#token=${dashboardToken}   (reports as charts; npm run seed gives them something to show)
Token           ${sameDataDir}npm run --silent token -- --role admin   (send as Authorization: Bearer <token>; npm run seed loads demo data)
DynamoDB        ${dynamodb.endpoint} (table ${settings.TABLE_NAME}, data in ${dataDir}; stream consumers running)
Mail viewer     ${ses.endpoint} (local SES; mail to bounce@ or complaint@simulator.amazonses.com bounces or complains)
Step Functions  ${stepFunctions.endpoint} (follow-up sequences, workflow runs, exports, report rebuilds; ${waits})
Exports         ${s3.endpoint}/${LOCAL_EXPORT_BUCKET} (POST /v1/exports writes files here; their download URLs point at it)
Schedules       scheduled workflows: ${functionManifest.scheduler.trigger.expression}${settings.CRM_LOCAL_MAX_WAIT_SECONDS === undefined ? ', as deployed' : `, at least every ${Math.max(1, settings.CRM_LOCAL_MAX_WAIT_SECONDS)} s (CRM_LOCAL_MAX_WAIT_SECONDS)`}
Events          ${eventBridge.endpoint}/events (bus ${LOCAL_EVENT_BUS_NAME}: every record, email and enrollment change; local only)
Inbound mail    smtp://127.0.0.1:${smtp.port} (plays SES receiving for @${LOCAL_INBOUND_DOMAIN}: replies, log-<token>@ addresses; raw mail in ${s3.endpoint}/${LOCAL_INBOUND_MAIL_BUCKET})
Webhooks        ${sqs.endpoint}/webhookDeliveries (the delivery queue; receivers on localhost may use http; retry pauses ${settings.CRM_LOCAL_MAX_WAIT_SECONDS === undefined ? 'as deployed' : `capped at ${settings.CRM_LOCAL_MAX_WAIT_SECONDS} s`})
Press Ctrl+C to stop.`);

/** Failed executions would otherwise go unnoticed: nothing else reports them locally. */
function reportFailure(execution: ExecutionDescription): void {
  if (execution.status !== 'FAILED' && execution.status !== 'TIMED_OUT') return;
  console.error(`[states] ${execution.name} ${execution.status}: ${execution.error ?? ''} ${execution.cause ?? ''}`);
}
