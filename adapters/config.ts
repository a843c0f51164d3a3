import * as z from '../domain/shared/zod';
import { timeOfDay, timeZone } from '../domain/shared/local-time';

/**
 * The one config loader. Every setting a Lambda or the local runtime reads comes
 * from the environment through this schema, so a missing or malformed value fails
 * at cold start with a clear message instead of at the first request.
 */
const configSchema = z.object({
  TABLE_NAME: z.string().check(z.minLength(3)),
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
  /** Set only locally: where DynamoDB Local listens. Unset in AWS. */
  DYNAMODB_ENDPOINT: z.optional(z.url()),
  /** How long a stored Idempotency-Key response is replayed. */
  IDEMPOTENCY_TTL_SECONDS: z._default(z.coerce.number().check(z.int(), z.positive()), 86_400),
  POWERTOOLS_SERVICE_NAME: z._default(z.string(), 'crm'),
  /** JWT claim holding the user's CRM roles: Cognito groups, or a claim of an external OIDC issuer. */
  AUTH_ROLE_CLAIM: z._default(z.string().check(z.minLength(1)), 'cognito:groups'),
  /** The verified SES sender. Unset, the functions still start, and sending answers with a clear error. */
  EMAIL_FROM_ADDRESS: z.optional(z.email()),
  /** Display name shown with the sender address. */
  EMAIL_FROM_NAME: z.optional(z.string().check(z.minLength(1), z.maxLength(100))),
  /** When the daily task digest goes out (local time) and in which time zone; both set, or no digest (email.dailyDigest). */
  DAILY_DIGEST_AT: z.optional(timeOfDay),
  DAILY_DIGEST_TIME_ZONE: z.optional(timeZone),
  /** SES configuration set: routes delivery, bounce and complaint events back to the CRM. */
  SES_CONFIGURATION_SET_NAME: z.optional(z.string().check(z.minLength(1))),
  /** Set only locally: where the SES emulator listens. */
  SES_ENDPOINT: z.optional(z.url()),
  /** Set only locally: where the Step Functions emulator listens. */
  STEP_FUNCTIONS_ENDPOINT: z.optional(z.url()),
  /** Set only locally, with CRM_LOCAL_MAX_WAIT_SECONDS: the local Step Functions cuts waits short to this. */
  STEP_FUNCTIONS_MAX_WAIT_SECONDS: z.optional(z.coerce.number().check(z.gte(0))),
  /** Where recipients reach the API (custom domain or execute-api URL): unsubscribe links point there. */
  PUBLIC_API_URL: z.optional(z.url({ protocol: /^https?$/ })),
  /** The stage's own EventBridge bus (`crm-<stage>`), where record events are published (set on the publisher). */
  EVENT_BUS_NAME: z.optional(z.string().check(z.minLength(1))),
  /** Set only locally: where the local EventBridge endpoint listens. */
  EVENTBRIDGE_ENDPOINT: z.optional(z.url()),
  /** The state machine that runs follow-up sequences (set on the function that starts runs). */
  SEQUENCE_STATE_MACHINE_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** The queue webhook deliveries wait in (set on the functions that queue or make deliveries). */
  WEBHOOK_DELIVERY_QUEUE_URL: z.optional(z.url()),
  /** Set only locally: where the local SQS endpoint listens. */
  SQS_ENDPOINT: z.optional(z.url()),
  /** Set only locally: webhooks may call this machine (loopback), over plain http too. Never deployed. */
  WEBHOOK_ALLOW_LOOPBACK: z.optional(z.enum(['true', 'false'])),
  /** The stage's receiving domain (email.inbound.domain): CRM mail to contacts gets a Reply-To at it, users' logging addresses are at it. */
  INBOUND_EMAIL_DOMAIN: z.optional(z.string().check(z.minLength(3))),
  /** The stage's Cognito hosted UI (`https://<prefix>.auth.<region>.amazoncognito.com`) and its public user client: where /dashboard signs users in. */
  SIGN_IN_URL: z.optional(z.url()),
  SIGN_IN_CLIENT_ID: z.optional(z.string().check(z.minLength(1))),
  /** Where SES receiving stores raw messages (set on the inbound email function). */
  INBOUND_MAIL_BUCKET: z.optional(z.string().check(z.minLength(3))),
  INBOUND_MAIL_PREFIX: z._default(z.string(), 'inbound/'),
  /** Set only locally: where the local S3 listens. */
  S3_ENDPOINT: z.optional(z.url()),
  /** The state machine that runs workflows (set on the workflow trigger). */
  WORKFLOW_STATE_MACHINE_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** The state machine that runs exports (set on the exports function, which starts them). */
  EXPORT_STATE_MACHINE_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** The state machine that runs imports (set on the imports function, which starts them). */
  IMPORT_STATE_MACHINE_ARN: z.optional(z.string().check(z.startsWith('arn:'))),
  /** Rows an import step reads at most before it saves where it got: what a retried step reads again. */
  IMPORT_ROWS_PER_STEP: z._default(z.coerce.number().check(z.int(), z.positive()), 20_000),
  /** Batches of 100 rows an import step writes at once (each with up to 8 transactions in flight): the import's load on the table. */
  IMPORT_PARALLEL_BATCHES: z._default(z.coerce.number().check(z.int(), z.positive(), z.lte(16)), 4),
  /** Ranges of a file an import writes at once, each in a step of its own (the import state machine's Map; Step Functions runs at most 40 inline iterations at once). */
  IMPORT_CONCURRENT_RANGES: z._default(z.coerce.number().check(z.int(), z.positive(), z.lte(40)), 4),
  /** Where export files, and import files and their error reports, are written (set on the functions that use them). */
  EXPORT_BUCKET: z.optional(z.string().check(z.minLength(3))),
  /** Bytes of an export file written per part, at least S3's 5 MiB; smaller only against the local S3 (tests). */
  EXPORT_PART_BYTES: z._default(z.coerce.number().check(z.int(), z.positive()), 8 * 1024 * 1024),
});

export type Config = z.infer<typeof configSchema>;

let cached: Config | undefined;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  if (env === process.env && cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${problems}`);
  }
  if (env === process.env) cached = parsed.data;
  return parsed.data;
}
