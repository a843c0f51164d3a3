import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { timeOfDay, timeZone } from '../domain/shared/local-time';
import type { Node } from 'constructs';
import * as z from '../domain/shared/zod';

/**
 * What a deployment of the CRM stack may vary, per stage. Read from CDK context:
 * cdk.json `context.stages.<stage>` first, then any top-level context key of the same
 * name (`-c logRetentionDays=90`, `-c auth='{"mode":"oidc",…}'`) replaces that key.
 * Anything not given takes the default below, so `stages.dev: {}` is a valid stage.
 */

/** OAuth scopes of the `crm` resource server, as they appear in access tokens. */
export const crmScopes = ['crm/read', 'crm/write', 'crm/admin'] as const;
export type CrmScope = (typeof crmScopes)[number];

/** The claim the handlers read a user's role from when nothing else is configured. */
export const defaultRoleClaim = 'cognito:groups';

const defaultCallbackUrl = 'http://localhost:3000/callback';

/** Every retention CloudWatch Logs accepts, except "never expire": logs must age out. */
const logRetentionValues = Object.values(RetentionDays).filter((days): days is RetentionDays => typeof days === 'number' && days !== RetentionDays.INFINITE);

/** Cognito's rules for a prefix domain: https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-assign-domain-prefix.html */
export const reservedInDomainPrefix = /aws|amazon|cognito/;
const domainPrefixSchema = z.string().check(
  z.regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'lowercase letters, digits and inner hyphens, at most 63 characters'),
  z.refine((prefix) => !reservedInDomainPrefix.test(prefix), 'may not contain "aws", "amazon" or "cognito"'),
);

/** Cognito accepts plain http only for localhost. */
const callbackUrlSchema = z.url().check(z.refine((url) => url.startsWith('https://') || /^http:\/\/localhost(:\d+)?(\/|$)/.test(url), 'must be https (plain http only for localhost)'));

const machineClientSchema = z.strictObject({
  /** Names the app client `<stack>-<name>`; renaming one replaces it (and its secret). */
  name: z.string().check(
    z.regex(/^[a-z][a-z0-9-]{0,47}$/, 'lowercase letters, digits and hyphens, starting with a letter'),
    z.refine((name) => name !== 'users', '"users" names the client people sign in with'),
  ),
  scopes: z.array(z.enum(crmScopes)).check(z.minLength(1, 'a machine client needs at least one scope')),
});

const cognitoAuthSchema = z.strictObject({
  mode: z.literal('cognito'),
  /** Hosted UI and token endpoint at https://<prefix>.auth.<region>.amazoncognito.com; default `<stack name>-<account id>`. */
  domainPrefix: z.optional(domainPrefixSchema),
  machineClients: z._default(z.array(machineClientSchema), []).check(z.refine((clients) => new Set(clients.map((c) => c.name)).size === clients.length, 'machine client names must be unique')),
  /** Where the hosted UI may send users back with an authorization code. */
  callbackUrls: z._default(z.array(callbackUrlSchema).check(z.minLength(1)), [defaultCallbackUrl]),
  /** `required` makes every user enrol a TOTP app at first sign-in. */
  mfa: z._default(z.enum(['optional', 'required']), 'optional'),
  /**
   * Cognito threat protection (compromised credentials, adaptive authentication) needs the
   * Plus feature plan, billed per monthly active user; `off` keeps the Essentials plan.
   */
  threatProtection: z._default(z.enum(['enforced', 'audit', 'off']), 'enforced'),
});

const oidcAuthSchema = z.strictObject({
  mode: z.literal('oidc'),
  /** The `iss` of the provider's tokens; API Gateway fetches its keys from `<issuer>/.well-known/openid-configuration`. */
  issuer: z.url({ protocol: /^https$/, error: 'must be an https URL' }),
  /** Accepted `aud` (or, for tokens without one, `client_id`) values. */
  audience: z.array(z.string().check(z.minLength(1))).check(z.minLength(1, 'at least one audience is needed')),
  roleClaim: z._default(z.string().check(z.minLength(1)), defaultRoleClaim),
});

/** A key ARN, single- or multi-Region (`mrk-…`); an alias would not pin the key. */
const kmsKeyArnSchema = z
  .string()
  .check(
    z.regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(?:mrk-[0-9a-f]{32}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})$/, 'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>)'),
  );

/** The alarm periods offered: whole minutes that divide an hour. */
export const alarmPeriodMinutes = [1, 5, 10, 15, 30, 60] as const;

/** A count of events in one period at or above which an alarm fires. */
const eventCountSchema = z.int('must be a whole number').check(z.gte(1, 'must be at least 1'));

const alarmsSchema = z
  .strictObject({
    /** `false` creates no alarms and no topic (the dashboard is separate: `dashboard`). */
    enabled: z._default(z.boolean(), true),
    /** Subscribed to the alarm topic; AWS mails a confirmation link first, and nothing arrives until it is clicked. */
    email: z.optional(z.email('must be an email address')),
    /** The window every alarm sums or aggregates over. */
    periodMinutes: z._default(
      z.number().check(
        z.refine((minutes) => (alarmPeriodMinutes as readonly number[]).includes(minutes), {
          error: `must be one of ${alarmPeriodMinutes.join(', ')}`,
        }),
      ),
      5,
    ),
    /** How many periods in a row must breach before an alarm fires. */
    evaluationPeriods: z._default(z.int('must be a whole number').check(z.gte(1, 'must be at least 1'), z.lte(24, 'must be at most 24')), 1),
    /** API 5xx responses as a percentage of all requests in a period. */
    apiErrorRatePercent: z._default(z.number().check(z.gt(0, 'must be above 0'), z.lte(100, 'must be at most 100')), 1),
    /** 99th percentile of API latency, in milliseconds (API Gateway gives up on an integration after 30 s). */
    apiLatencyP99Ms: z._default(z.int('must be a whole number of milliseconds').check(z.gte(10, 'must be at least 10'), z.lte(30_000, 'must be at most 30000')), 3000),
    /** Below this many requests in a period the API alarms stay quiet: 1 error in 3 requests is no outage. */
    apiMinRequests: z._default(eventCountSchema, 20),
    /** Per function: invocations that failed (uncaught errors, timeouts, out of memory). */
    functionErrors: z._default(eventCountSchema, 1),
    /** Per function: invocations refused for lack of concurrency. */
    functionThrottles: z._default(eventCountSchema, 1),
    /**
     * Per stream consumer: how far behind the table's stream it may fall, in minutes (the age
     * of the newest record it has read). The stream keeps a record for 24 hours, then drops it.
     */
    streamIteratorAgeMinutes: z._default(
      z
        .int('must be a whole number of minutes')
        .check(z.gte(1, 'must be at least 1'), z.lte(720, 'must be at most 720: the stream drops records after 24 hours, and the alarm must leave time to act')),
      5,
    ),
    /** Table requests DynamoDB throttled. */
    tableThrottledRequests: z._default(eventCountSchema, 1),
    /** Table requests that failed inside DynamoDB (HTTP 500). */
    tableSystemErrors: z._default(eventCountSchema, 1),
    /**
     * SES bounce rate of the stack's configuration set, in percent. SES reviews an account
     * from 5% and may pause its sending from 10%.
     */
    emailBounceRatePercent: z._default(z.number().check(z.gt(0, 'must be above 0'), z.lte(100, 'must be at most 100')), 5),
    /** SES complaint rate of the stack's configuration set, in percent. SES reviews from 0.1% and may pause from 0.5%. */
    emailComplaintRatePercent: z._default(z.number().check(z.gt(0, 'must be above 0'), z.lte(100, 'must be at most 100')), 0.1),
    /** Per state machine: executions that failed, and executions that timed out, in a period. */
    stateMachineFailedExecutions: z._default(eventCountSchema, 1),
    /** Per EventBridge rule: events it could not deliver to its function after its retries (FailedInvocations). */
    eventRuleFailedInvocations: z._default(eventCountSchema, 1),
    /** Per EventBridge rule: messages waiting in its dead-letter queue, events the CRM gave up on. */
    eventRuleDeadLetters: z._default(eventCountSchema, 1),
  })
  .check(
    z.superRefine((alarms, context) => {
      if (alarms.email !== undefined && !alarms.enabled) {
        context.addIssue({ code: 'custom', path: ['email'], message: 'is only used when alarms.enabled is true' });
      }
    }),
  );

/** A fully qualified host name; API Gateway custom domains are matched case-insensitively, so lowercase only. */
const domainNameSchema = z
  .string()
  .check(
    z.maxLength(253, 'must be at most 253 characters'),
    z.regex(/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'must be a lowercase domain name such as crm.example.com (no scheme, path or wildcard)'),
  );

/** An ACM certificate ARN; it must be in the deployment region (regional endpoint), which only the deploy can check. */
const certificateArnSchema = z
  .string()
  .check(
    z.regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/, 'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)'),
  );

const customDomainSchema = z.strictObject({
  /** The host clients call, e.g. crm.example.com; point a CNAME at the CustomDomainTarget output. */
  domainName: domainNameSchema,
  /** An issued ACM certificate covering `domainName`, in the same region as the stack. */
  certificateArn: certificateArnSchema,
});

/** What SES accepts as a configuration set name. */
const configurationSetNameSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, underscores and hyphens, at most 64 characters'));

/** A display name that can sit in a From header as `"<name>" <address>` without escaping. */
const fromNameSchema = z
  .string()
  .check(z.minLength(1, 'may not be empty'), z.maxLength(100, 'must be at most 100 characters'), z.regex(/^[^"<>\\\r\n]+$/, 'may not contain quotes, angle brackets, backslashes or line breaks'));

/** The part of an address after the last `@`, lowercased: SES treats domains case-insensitively. */
export const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

const emailSchema = z
  .strictObject({
    /** The sender of every CRM email (EMAIL_FROM_ADDRESS); the only From address the functions may use. */
    fromAddress: z.email('must be an email address'),
    /** Shown with the address, e.g. "Acme Sales" (EMAIL_FROM_NAME). */
    fromName: z.optional(fromNameSchema),
    /**
     * The SES identity that authorizes the sender: its domain (the default) or the address
     * itself. Only what this names is granted, so it must be exactly one of the two.
     */
    identity: z.optional(z.union([domainNameSchema, z.email()], { error: 'must be a lowercase domain such as acme.example, or an email address' })),
    /**
     * Create the identity in this stack (Easy DKIM for a domain; SES mails a verification link
     * to an address). `false` when it already exists in this account and region, for example
     * because another stage or application created it.
     */
    createIdentity: z._default(z.boolean(), true),
    /** Name of the stack's SES configuration set; default: the stack name. */
    configurationSetName: z.optional(configurationSetNameSchema),
    /**
     * A daily email to each owner with an address, listing their overdue and due-today open
     * tasks, at this local time (docs/automation.md). Absent: no digest.
     */
    dailyDigest: z.optional(z.strictObject({ at: timeOfDay, timeZone })),
    /**
     * Receiving mail (docs/integrations.md): replies to CRM mail and users' logging addresses
     * arrive at this domain (publish its MX record). It must be the sending identity's domain
     * or a subdomain of it, so the identity the stack verifies covers it too.
     */
    inbound: z.optional(
      z.strictObject({
        domain: domainNameSchema,
        /** Days raw messages stay in the inbound bucket before they expire. */
        retentionDays: z._default(z.int().check(z.gte(1), z.lte(365)), 30),
      }),
    ),
  })
  .check(
    z.superRefine((email, context) => {
      const { fromAddress, identity } = email;
      const sendingDomain = identity && !identity.includes('@') ? identity : domainOf(fromAddress);
      if (email.inbound && email.inbound.domain !== sendingDomain && !email.inbound.domain.endsWith(`.${sendingDomain}`)) {
        context.addIssue({ code: 'custom', path: ['inbound', 'domain'], message: `must be ${sendingDomain} or a subdomain of it (the verified sending domain covers it)` });
      }
      if (identity === undefined) return;
      const fits = identity.includes('@') ? identity.toLowerCase() === fromAddress.toLowerCase() : identity === domainOf(fromAddress);
      if (!fits) {
        context.addIssue({
          code: 'custom',
          path: ['identity'],
          message: `must be the domain of fromAddress (${domainOf(fromAddress)}) or fromAddress itself`,
        });
      }
    }),
  );

/** A 12-digit AWS account id. */
const accountIdSchema = z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account id'));

const eventsSchema = z.strictObject({
  /**
   * Other AWS accounts that may add rules of their own to the stage's bus (`crm-<stage>`),
   * and manage only the rules they created. Rules of this account need no entry.
   */
  ruleAccounts: z._default(z.array(accountIdSchema).check(z.refine((accounts) => new Set(accounts).size === accounts.length, 'account ids must be unique')), []),
  /** Days the bus archives every CRM event, for replay to a consumer that missed some; 0 keeps no archive. */
  archiveDays: z._default(z.int('must be a whole number of days').check(z.gte(0, 'must be 0 or more'), z.lte(3650, 'must be at most 3650')), 7),
});

export const stackConfigSchema = z
  .strictObject({
    auth: z.prefault(z.discriminatedUnion('mode', [cognitoAuthSchema, oidcAuthSchema]), { mode: 'cognito' }),
    /** `aws-owned`: DynamoDB's own key, no charge. `customer-managed`: a KMS key you control and audit. */
    tableEncryption: z._default(z.enum(['aws-owned', 'customer-managed']), 'aws-owned'),
    /** An existing key for `customer-managed`; without one the stack creates a key with yearly rotation. */
    tableKmsKeyArn: z.optional(kmsKeyArnSchema),
    /**
     * Throughput the on-demand table is pre-warmed to (DynamoDB warm throughput: a one-time
     * charge; the table then takes this much at once instead of scaling up to it). For a
     * large import right after a deploy: a new on-demand table takes 4,000 write units a
     * second at first (docs/data-in-and-out.md, "Deployed"). Set on the table and each of its
     * indexes (each pre-warm billed); beyond the account's table quota (40,000 by default) ask
     * for a quota first. Once raised it cannot be lowered.
     */
    tableWarmThroughput: z.optional(
      z.strictObject({
        readUnitsPerSecond: z.optional(z.int().check(z.gte(12_000, 'must be at least 12000, what an on-demand table takes anyway'))),
        writeUnitsPerSecond: z.optional(z.int().check(z.gte(4_000, 'must be at least 4000, what an on-demand table takes anyway'))),
      }).check(z.refine((warm) => warm.readUnitsPerSecond !== undefined || warm.writeUnitsPerSecond !== undefined, 'set readUnitsPerSecond, writeUnitsPerSecond or both')),
    ),
    /** How hard an import writes: ranges of its file at once, each with `parallelBatches` batches of 100 rows in flight (each up to 8 transactions). */
    imports: z.prefault(
      z.strictObject({
        concurrentRanges: z._default(z.int().check(z.gte(1), z.lte(40)), 4),
        parallelBatches: z._default(z.int().check(z.gte(1), z.lte(16)), 4),
      }),
      {},
    ),
    /** Default-stage limits for every route, up to API Gateway's default account quota. */
    throttle: z.prefault(
      z.strictObject({
        burstLimit: z._default(z.int().check(z.gte(1), z.lte(5000)), 200),
        rateLimit: z._default(z.number().check(z.positive(), z.lte(10_000)), 100),
      }),
      {},
    ),
    logRetentionDays: z._default(
      z.pipe(
        z.number().check(
          z.refine((days) => (logRetentionValues as number[]).includes(days), {
            error: `must be one of ${logRetentionValues.join(', ')}`,
          }),
        ),
        z.transform((days) => days as RetentionDays),
      ),
      RetentionDays.ONE_MONTH,
    ),
    /** CloudWatch alarms on the API, the functions and the table, sent to one SNS topic. */
    alarms: z.prefault(alarmsSchema, {}),
    /** One CloudWatch dashboard for the stage: API, functions, table and the handlers' own metrics. */
    dashboard: z._default(z.boolean(), true),
    /** Serve the API at your own host name as well as the execute-api one. */
    customDomain: z.optional(customDomainSchema),
    /**
     * Sending email through SES. Without it the stack has no SES resources, no function may
     * send, and sending answers with an error saying that no sender is configured.
     */
    email: z.optional(emailSchema),
    /** The stage's event bus, where every committed change is published (docs/events.md). */
    events: z.prefault(eventsSchema, {}),
  })
  .check(
    z.superRefine((config, context) => {
      if (config.tableKmsKeyArn && config.tableEncryption !== 'customer-managed') {
        context.addIssue({
          code: 'custom',
          path: ['tableKmsKeyArn'],
          message: 'is only used with tableEncryption "customer-managed"',
        });
      }
    }),
  );

export type StackConfigInput = z.input<typeof stackConfigSchema>;
export type StackConfig = z.output<typeof stackConfigSchema>;
export type AuthConfig = StackConfig['auth'];
export type CognitoAuthConfig = Extract<AuthConfig, { mode: 'cognito' }>;
export type AlarmsConfig = StackConfig['alarms'];
export type CustomDomainConfig = NonNullable<StackConfig['customDomain']>;
export type EmailConfig = NonNullable<StackConfig['email']>;

/** The SES identity the stack creates or uses for `email`: as configured, else the sender's domain. */
export function sendingIdentityOf(email: EmailConfig): string {
  return email.identity ?? domainOf(email.fromAddress);
}

/** A configuration the stack refuses to synthesize; the message names every bad key. */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

/** Validates `input` (and fills in defaults); `source` says where it came from in the error. */
export function parseStackConfig(input: unknown, source = 'stack configuration'): StackConfig {
  const parsed = stackConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new StackConfigError(`Invalid ${source}:\n${problems.join('\n')}`);
}

const stageNameSchema = z.string().check(z.regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lowercase letters, digits and hyphens, starting with a letter, at most 20 characters'));

const configKeys = Object.keys(stackConfigSchema.shape) as (keyof StackConfig)[];

/**
 * `-c key=value` always arrives as a string; numbers, objects and arrays are written as
 * JSON. A string that is not JSON (`customer-managed`, an ARN) is taken as it is.
 */
function fromContext(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export interface StageConfig {
  readonly stage: string;
  readonly config: StackConfig;
}

/**
 * The stage (`-c stage=…`, else CRM_STAGE, else `dev`) and its validated configuration.
 * A stage must be declared in cdk.json `context.stages`, so a typo in a stage name fails
 * instead of deploying a new stack with default settings.
 */
export function loadStageConfig(node: Node, env: NodeJS.ProcessEnv = process.env): StageConfig {
  const stageInput: unknown = node.tryGetContext('stage') ?? env.CRM_STAGE ?? 'dev';
  const stage = stageNameSchema.safeParse(stageInput);
  if (!stage.success) {
    throw new StackConfigError(`Invalid stage ${JSON.stringify(stageInput)}: ${stage.error.issues[0]?.message}.`);
  }

  const stages = fromContext(node.tryGetContext('stages')) ?? {};
  if (typeof stages !== 'object' || Array.isArray(stages)) {
    throw new StackConfigError('Invalid context "stages": expected an object of stage name to settings.');
  }
  const declared = Object.keys(stages);
  if (!declared.includes(stage.data)) {
    throw new StackConfigError(
      `Unknown stage "${stage.data}": cdk.json context.stages declares ${declared.join(', ') || 'none'}. ` + `Add "stages": { "${stage.data}": {} } to deploy it with the defaults.`,
    );
  }

  const stageSettings = (stages as Record<string, unknown>)[stage.data] ?? {};
  if (typeof stageSettings !== 'object' || Array.isArray(stageSettings)) {
    throw new StackConfigError(`Invalid context "stages.${stage.data}": expected an object of settings.`);
  }
  const overrides = Object.fromEntries(
    configKeys.flatMap((key) => {
      const value = node.tryGetContext(key);
      return value === undefined ? [] : [[key, fromContext(value)]];
    }),
  );
  const overridden = Object.keys(overrides);
  const source = `configuration for stage "${stage.data}" (cdk.json context.stages.${stage.data}` + (overridden.length > 0 ? `, with -c ${overridden.join(', ')})` : ')');
  return { stage: stage.data, config: parseStackConfig({ ...stageSettings, ...overrides }, source) };
}
