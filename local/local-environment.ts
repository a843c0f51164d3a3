import { queueManifest, type QueueName } from '../functions/manifest';
import { LOCAL_EVENT_BUS_NAME, LOCAL_SES_CONFIGURATION_SET, localStateMachineArn } from './local-arns';

export interface LocalAwsEnvironment {
  tableName: string;
  dynamodbEndpoint: string;
  /** The local SES; handlers then send through it, from EMAIL_FROM_ADDRESS, with the local configuration set. */
  sesEndpoint?: string;
  /** The local Step Functions endpoint; handlers then start the local state machines. */
  stepFunctionsEndpoint?: string;
  /** The cap on its waits (CRM_LOCAL_MAX_WAIT_SECONDS), which steps that measure their own waits must know. */
  maxWaitSeconds?: number;
  /** The local EventBridge endpoint; the event publisher then puts the CRM's events on its bus. */
  eventBridgeEndpoint?: string;
  /** The local SQS (local/sqs-local.ts): functions then send to its queues, and webhooks may call this machine. */
  sqs?: { readonly endpoint: string; urlOf(queue: QueueName): string };
  /** Receiving (local/smtp-local.ts): the local S3 holding raw messages, and the inbound domain. */
  inbound?: { readonly s3Endpoint: string; readonly domain: string; readonly bucket: string };
  /** Exports: the local S3 and its export bucket (local/s3-local.ts). */
  exports?: { readonly s3Endpoint: string; readonly bucket: string };
}

/** The sender locally, unless EMAIL_FROM_ADDRESS says otherwise (the local SES verifies nothing). */
export const LOCAL_EMAIL_FROM_ADDRESS = 'crm@example.com';

/** The local daily digest, unless DAILY_DIGEST_AT and DAILY_DIGEST_TIME_ZONE say otherwise. */
export const LOCAL_DAILY_DIGEST = { at: '07:00', timeZone: 'UTC' } as const;

/**
 * Sets the environment the handler modules read through adapters/config.ts, as
 * Lambda would. Call it before the first request reaches the gateway: handlers
 * load (and cache) their config when they are first imported.
 */
export function useLocalAwsEnvironment({ tableName, dynamodbEndpoint, sesEndpoint, stepFunctionsEndpoint, maxWaitSeconds, eventBridgeEndpoint, sqs, inbound, exports }: LocalAwsEnvironment): void {
  process.env.TABLE_NAME = tableName;
  process.env.DYNAMODB_ENDPOINT = dynamodbEndpoint;
  process.env.AWS_REGION = 'us-east-1';
  if (sesEndpoint) {
    process.env.SES_ENDPOINT = sesEndpoint;
    process.env.EMAIL_FROM_ADDRESS ??= LOCAL_EMAIL_FROM_ADDRESS;
    // The local stage has a daily digest, as a stage may configure one (email.dailyDigest).
    process.env.DAILY_DIGEST_AT ??= LOCAL_DAILY_DIGEST.at;
    process.env.DAILY_DIGEST_TIME_ZONE ??= LOCAL_DAILY_DIGEST.timeZone;
    // Always this one: the local SES event source publishes events for this configuration set's mail only.
    process.env.SES_CONFIGURATION_SET_NAME = LOCAL_SES_CONFIGURATION_SET;
  }
  if (stepFunctionsEndpoint) {
    process.env.STEP_FUNCTIONS_ENDPOINT = stepFunctionsEndpoint;
    process.env.SEQUENCE_STATE_MACHINE_ARN = localStateMachineArn('sequenceRun');
    process.env.WORKFLOW_STATE_MACHINE_ARN = localStateMachineArn('workflowRun');
    process.env.EXPORT_STATE_MACHINE_ARN = localStateMachineArn('exportRun');
    process.env.IMPORT_STATE_MACHINE_ARN = localStateMachineArn('importRun');
    // DynamoDB Local runs transactions one at a time: more ranges at once are no faster, and make it refuse transactions that waited for a lock too long (seen at 2 under load).
    process.env.IMPORT_CONCURRENT_RANGES ??= '1';
    if (maxWaitSeconds === undefined) delete process.env.STEP_FUNCTIONS_MAX_WAIT_SECONDS;
    else process.env.STEP_FUNCTIONS_MAX_WAIT_SECONDS = String(maxWaitSeconds);
  }
  if (eventBridgeEndpoint) {
    process.env.EVENTBRIDGE_ENDPOINT = eventBridgeEndpoint;
    process.env.EVENT_BUS_NAME = LOCAL_EVENT_BUS_NAME;
  }
  if (sqs) {
    process.env.SQS_ENDPOINT = sqs.endpoint;
    for (const [queue, { urlSetting }] of Object.entries(queueManifest)) process.env[urlSetting] = sqs.urlOf(queue as QueueName);
    // Receivers a developer runs are on this machine; deployed, only public addresses are called.
    process.env.WEBHOOK_ALLOW_LOOPBACK = 'true';
  }
  if (inbound) {
    process.env.S3_ENDPOINT = inbound.s3Endpoint;
    process.env.INBOUND_EMAIL_DOMAIN = inbound.domain;
    process.env.INBOUND_MAIL_BUCKET = inbound.bucket;
  }
  if (exports) {
    process.env.S3_ENDPOINT = exports.s3Endpoint;
    process.env.EXPORT_BUCKET = exports.bucket;
  }
  // Embedded-metric-format lines are for CloudWatch; locally they would only bury the logs.
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  // Dummy credentials so a developer's real AWS credentials are never picked up by a
  // local run; a session token left over from the shell would be sent along with them.
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
}
