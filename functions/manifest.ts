import { EVENT_RAISING_ENTITIES } from '../domain/events/crm-events';
import { reportedTypes } from '../domain/reports/report-shares';
import { recordTypes } from '../domain/records/record-model';
import { workflowTriggerEvents } from '../domain/workflows/workflow';
import { apiContract } from './http/contract';
import { dashboardFiles } from './http/dashboard-page';
import type { OperationGroup } from './http/api-operation';

/**
 * Every Lambda of the CRM, declared once: its handler module, memory, timeout, what it may
 * do on the table, and what triggers it. The CDK stack deploys exactly this, the local
 * runtime routes requests, stream records, events and state machine tasks from it, and the
 * benchmarks bundle and measure each entry: what runs locally is what deploys.
 */

/**
 * What a function may do on the table; infra/constructs/crm-table.ts grants exactly this.
 * `sweep`: finish deletions (read, rewrite referencing records, delete). `suppressByLink`:
 * only the items an unsubscribe link touches, for the one public function that writes.
 */
export type TableAccess = 'none' | 'read' | 'readWrite' | 'sweep' | 'suppressByLink';

/**
 * The queues of the CRM: an SQS queue each, with its dead-letter queue for messages received
 * `maxReceiveCount` times without being deleted. Functions that `sendTo` one get its URL in
 * `urlSetting`; a `queue` trigger consumes it.
 */
export const queueManifest = {
  /**
   * One message per webhook delivery (domain/webhooks/). A failed attempt hides its message
   * for the pause before the next (up to 10 h), so messages live for days: 8 attempts in 27.6 h,
   * plus the time an outage of the CRM itself may add.
   */
  webhookDeliveries: { urlSetting: 'WEBHOOK_DELIVERY_QUEUE_URL', retentionDays: 4, maxReceiveCount: 16 },
} as const satisfies Record<string, { readonly urlSetting: string; readonly retentionDays: number; readonly maxReceiveCount: number }>;
export type QueueName = keyof typeof queueManifest;

/** The state machines functions start or serve as a task of (infra/state-machines/). */
export type StateMachineName = 'sequenceRun' | 'workflowRun' | 'exportRun' | 'importRun' | 'reportRebuild';

export type Trigger =
  /** API Gateway routes: one per operation of the group (functions/http/contract/). */
  | { readonly kind: 'http'; readonly operations: OperationGroup; readonly publicBecause?: string }
  /**
   * The table's stream, through Lambda event filters: a record that matches any of them
   * (Lambda takes five) reaches the function. The local stream poller applies the same ones.
   */
  | { readonly kind: 'stream'; readonly batchSize: number; readonly maxRetries: number; readonly filterPatterns: readonly Record<string, unknown>[] }
  /**
   * An EventBridge rule. `bus: 'default'`: SES publishes its sending events only to the
   * account's default bus. `bus: 'crm'`: the stage's own bus, where the CRM's record events
   * are (docs/events.md). `scope: 'emailConfigurationSet'`: only the events of this stage's
   * configuration set, and only where the stage sends email (deployedEventPattern).
   */
  | {
      readonly kind: 'eventRule';
      readonly bus: 'default' | 'crm';
      readonly eventPattern: Record<string, unknown>;
      readonly scope?: 'emailConfigurationSet';
      /** Retries of a failing event before it goes to the rule's dead-letter queue. */
      readonly maxRetries: number;
    }
  /** A Task state of a state machine, which the stack builds around it. */
  | { readonly kind: 'stateMachineTask'; readonly stateMachine: StateMachineName }
  /**
   * An EventBridge Scheduler schedule: invokes the function at this rate with
   * `{ "scheduledTime": "<the time the invocation is for>" }` (a retry carries the same
   * time). The local scheduler fires it at the same rate (or every CRM_LOCAL_MAX_WAIT_SECONDS).
   */
  | { readonly kind: 'schedule'; readonly expression: ScheduleRate; readonly maxRetries: number }
  /**
   * An SQS queue of queueManifest, through Lambda's event source mapping: batches of up to
   * `batchSize`, failed messages reported one by one (ReportBatchItemFailures), at most
   * `maxConcurrency` invocations at once. The local queue (local/sqs-local.ts) does the same.
   */
  | { readonly kind: 'queue'; readonly queue: QueueName; readonly batchSize: number; readonly maxConcurrency: number }
  /**
   * SES receiving on the stage's inbound domain (email.inbound): a receipt rule stores each
   * message in the inbound bucket, then invokes the function (asynchronously) with SES's
   * receipt. Deployed only where the stage receives mail; locally the SMTP server of
   * local/smtp-local.ts plays SES.
   */
  | { readonly kind: 'inboundEmail' };

/** The schedule expressions the stack and the local scheduler both understand. */
export type ScheduleRate = `rate(${number} ${'minute' | 'minutes' | 'hour' | 'hours'})`;

export interface FunctionDeclaration {
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly tableAccess: TableAccess;
  /** Sends email through SES: the stack grants ses:SendEmail on the sender identity and sets the sender. */
  readonly sendsEmail?: boolean;
  /** Puts events on the stage's bus (`crm-<stage>`): the stack grants events:PutEvents on it alone and sets EVENT_BUS_NAME. */
  readonly publishesEvents?: boolean;
  /** Needs the stage's inbound domain (INBOUND_EMAIL_DOMAIN) without sending or receiving mail itself (users' logging addresses). */
  readonly usesInboundDomain?: boolean;
  /** Sends messages to this queue: the stack grants SendMessage on it and passes its URL. */
  readonly sendsTo?: QueueName;
  /** Starts executions of this state machine: the stack grants StartExecution on it and passes its ARN. */
  readonly startsExecutionsOf?: StateMachineName;
  /**
   * Uses the stage's export bucket (EXPORT_BUCKET), which holds export and import files:
   * `exportWrite` writes export files (multipart uploads under `exports/`), `exportDownload`
   * signs download URLs for them (GetObject under `exports/`); `importStart` signs upload URLs
   * for import files and download URLs for their error reports and reads their headers
   * (PutObject and GetObject under `imports/`), `importRun` reads import files and writes
   * their error reports (GetObject, multipart uploads under `imports/`).
   */
  readonly files?: 'exportWrite' | 'exportDownload' | 'importStart' | 'importRun';
  /** Needs the stage's sign-in (Cognito hosted UI and user client: SIGN_IN_URL, SIGN_IN_CLIENT_ID), for a page that signs users in. */
  readonly signsUsersIn?: boolean;
  /** Files of the repository shipped beside the bundle at the same relative path (the reference page's script and stylesheet). */
  readonly assets?: readonly string[];
  readonly trigger: Trigger;
}

const http = (operations: OperationGroup, publicBecause?: string) => ({ kind: 'http', operations, ...(publicBecause ? { publicBecause } : {}) }) as const;

export const functionManifest = {
  contacts: { entry: 'functions/contacts.ts', memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.contacts) },
  companies: { entry: 'functions/companies.ts', memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.companies) },
  deals: { entry: 'functions/deals.ts', memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.deals) },
  activities: { entry: 'functions/activities.ts', memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.activities) },
  reports: { entry: 'functions/reports.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.reports) },
  search: { entry: 'functions/search.ts', memoryMb: 1024, timeoutSeconds: 29, tableAccess: 'read', trigger: http(apiContract.search) },
  pipelines: { entry: 'functions/pipelines.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.pipelines) },
  properties: { entry: 'functions/properties.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.properties) },
  emails: { entry: 'functions/emails.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', sendsEmail: true, trigger: http(apiContract.emails) },
  emailTemplates: { entry: 'functions/email-templates.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.emailTemplates) },
  sequences: { entry: 'functions/sequences.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.sequences) },
  teams: { entry: 'functions/teams.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.teams) },
  owners: { entry: 'functions/owners.ts', memoryMb: 256, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.owners) },
  workflows: { entry: 'functions/workflows.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', trigger: http(apiContract.workflows) },
  /** Users' logging addresses, and the review of mail from unknown senders. */
  inboundEmails: { entry: 'functions/inbound-emails.ts', memoryMb: 256, timeoutSeconds: 29, tableAccess: 'readWrite', usesInboundDomain: true, trigger: http(apiContract.inboundEmails) },
  /** Retries and replays queue deliveries; a test ping is sent from here, through the same SSRF-safe client. */
  webhooks: { entry: 'functions/webhooks.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', sendsTo: 'webhookDeliveries', trigger: http(apiContract.webhooks) },
  audit: { entry: 'functions/audit.ts', memoryMb: 512, timeoutSeconds: 10, tableAccess: 'read', trigger: http(apiContract.audit) },
  /** Exports of records to CSV or JSON Lines files: starts them, and hands out their download URLs. */
  exports: { entry: 'functions/exports.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', startsExecutionsOf: 'exportRun', files: 'exportDownload', trigger: http(apiContract.exports) },
  imports: { entry: 'functions/imports.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'readWrite', startsExecutionsOf: 'importRun', files: 'importStart', trigger: http(apiContract.imports) },
  /** A person's data in one document (data subject access requests). */
  privacy: { entry: 'functions/privacy.ts', memoryMb: 512, timeoutSeconds: 29, tableAccess: 'read', trigger: http(apiContract.privacy) },
  unsubscribe: {
    entry: 'functions/unsubscribe.ts',
    memoryMb: 256,
    timeoutSeconds: 29,
    tableAccess: 'suppressByLink',
    trigger: http(
      apiContract.unsubscribe,
      'recipients of CRM email follow the link without an account: the signed token is the authorization, and all it can do is suppress the address of the message it names',
    ),
  },
  meta: {
    entry: 'functions/meta.ts',
    memoryMb: 256,
    timeoutSeconds: 5,
    tableAccess: 'none',
    assets: ['node_modules/swagger-ui-dist/package.json', 'node_modules/swagger-ui-dist/swagger-ui-bundle.js', 'node_modules/swagger-ui-dist/swagger-ui.css', ...Object.values(dashboardFiles)],
    signsUsersIn: true,
    trigger: http(apiContract.meta, 'health checks, the API description and the pages carry no CRM data (the dashboard calls the API with its own token)'),
  },

  /** Finishes deletions: every record that becomes a tombstone is swept until nothing of it is left. */
  recordSweeper: {
    entry: 'functions/record-sweeper.ts',
    memoryMb: 1024,
    timeoutSeconds: 300,
    tableAccess: 'sweep',
    trigger: { kind: 'stream', batchSize: 10, maxRetries: 8, filterPatterns: [{ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: ['tombstone'] } } } }] },
  },
  /**
   * Starts the follow-up sequence run of every new enrollment or resumed run (active and
   * `starting`, until its first step is sent). The enrollment is written first and the run
   * started from the stream, so an accepted enrollment is never lost to a failed start; the
   * execution is named after the run, so a redelivered record starts nothing twice. It
   * re-reads the enrollment and its sequence and writes nothing: Step Functions keeps the run.
   */
  sequenceStarter: {
    entry: 'functions/sequence-starter.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tableAccess: 'read',
    startsExecutionsOf: 'sequenceRun',
    trigger: {
      kind: 'stream',
      batchSize: 10,
      maxRetries: 8,
      filterPatterns: [{ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: ['enrollment'] }, status: { S: ['active'] }, starting: { BOOL: [true] } } } }],
    },
  },

  /**
   * Records follow the schema they depend on: a re-weighted stage re-weights its deals, a
   * deleted property (or removed option, or a re-created property of another type) takes
   * its values from every record of the type. Through indexes, in the background: a type's
   * records are read once, those with a value the definition no longer allows rewritten.
   */
  schemaFollowUp: {
    entry: 'functions/schema-follow-up.ts',
    memoryMb: 1024,
    timeoutSeconds: 900,
    tableAccess: 'sweep',
    trigger: {
      kind: 'stream',
      batchSize: 1,
      maxRetries: 8,
      filterPatterns: [{ eventName: ['MODIFY', 'REMOVE'], dynamodb: { OldImage: { entity: { S: ['pipeline', 'propertyDefinition'] } } } }],
    },
  },

  /**
   * Publishes every committed change of a record, email or enrollment as events on the
   * stage's bus (domain/events/crm-events.ts), in stream order. A batch it cannot publish
   * is handed back from its first unpublished change, retried, halved, then dead-lettered.
   */
  eventPublisher: {
    entry: 'functions/event-publisher.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tableAccess: 'none',
    publishesEvents: true,
    trigger: {
      kind: 'stream',
      batchSize: 100,
      maxRetries: 10,
      filterPatterns: [
        { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: [...EVENT_RAISING_ENTITIES] } } } },
        // A contact's emails go with it: their removal is email.deleted.
        { eventName: ['REMOVE'], dynamodb: { OldImage: { entity: { S: ['emailMessage'] } } } },
      ],
    },
  },

  /**
   * Keeps each record's derived items in step with it (domain/records/record-index.ts): its
   * search terms and its list entries, written in stream order, folded per batch. Off the
   * request path, so a write costs the same with search and sorted lists as without; a new
   * name is found, and a record listed by its new values, about a second later.
   */
  recordIndexer: {
    entry: 'functions/record-indexer.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tableAccess: 'readWrite',
    trigger: {
      kind: 'stream',
      batchSize: 100,
      maxRetries: 10,
      filterPatterns: [{ eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: [...recordTypes, 'tombstone'] } } } }],
    },
  },

  /**
   * Keeps the report counters (domain/reports/) in step with deals, contacts and activities:
   * each change adds the difference of the record's share, once, in stream order. Reports read
   * the counters, so a report costs the same at any number of records.
   */
  reportKeeper: {
    entry: 'functions/report-keeper.ts',
    memoryMb: 512,
    timeoutSeconds: 120,
    tableAccess: 'readWrite',
    trigger: {
      kind: 'stream',
      batchSize: 100,
      maxRetries: 10,
      filterPatterns: [
        { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { entity: { S: [...reportedTypes, 'tombstone', 'emailMessage'] } } } },
        // A contact's emails go with it: their counts leave the email report.
        { eventName: ['REMOVE'], dynamodb: { OldImage: { entity: { S: ['emailMessage'] } } } },
      ],
    },
  },

  /** SES delivery, bounce and complaint events of the CRM's configuration set: message status and the suppression list. */
  emailEvents: {
    entry: 'functions/email-events.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    tableAccess: 'readWrite',
    trigger: {
      kind: 'eventRule',
      bus: 'default',
      eventPattern: { source: ['aws.ses'], 'detail-type': ['Email Delivered', 'Email Bounced', 'Email Complaint Received', 'Email Rejected'] },
      scope: 'emailConfigurationSet',
      maxRetries: 8,
    },
  },

  /**
   * Follow-up sequences stop when what they were for has happened: a deal of the contact's
   * won or lost, a meeting logged with them. The CRM's own rule on its bus, like any
   * integrator's; a redelivered event finds the enrollments stopped already, and a late one
   * stops neither runs enrolled after it nor anything once the deal was reopened.
   */
  sequenceStopper: {
    entry: 'functions/sequence-stopper.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tableAccess: 'readWrite',
    trigger: {
      kind: 'eventRule',
      bus: 'crm',
      eventPattern: {
        source: ['crm'],
        // Meetings only, and any activity too large to carry its record (the stopper reads it).
        $or: [{ 'detail-type': ['deal.won', 'deal.lost'] }, { 'detail-type': ['activity.created'], detail: { record: { kind: ['meeting'] } } }, { 'detail-type': ['activity.created'], detail: { truncated: [true] } }],
      },
      maxRetries: 8,
    },
  },

  /**
   * Starts workflow runs: every record event a workflow can trigger on reaches it (the
   * CRM's own rule on its bus); it finds the enabled workflows of the event's type through
   * an index, writes a run for each whose conditions the event meets, and starts its
   * execution, named after the run (derived from workflow and event), so a redelivered event
   * starts nothing twice.
   */
  workflowTrigger: {
    entry: 'functions/workflow-trigger.ts',
    memoryMb: 512,
    timeoutSeconds: 60,
    tableAccess: 'readWrite',
    startsExecutionsOf: 'workflowRun',
    trigger: { kind: 'eventRule', bus: 'crm', eventPattern: { source: ['crm'], 'detail-type': [...workflowTriggerEvents] }, maxRetries: 8 },
  },

  /**
   * What runs on the clock, every few minutes: each enabled workflow with a schedule whose
   * slot has come fires once for its period (the local date), one run per stale deal or one
   * run (named after workflow, period and record, so a tick retried or fired twice starts
   * nothing twice); and, once its time has come, the stage's daily task digest.
   */
  scheduler: {
    entry: 'functions/scheduler.ts',
    memoryMb: 512,
    timeoutSeconds: 300,
    tableAccess: 'readWrite',
    sendsEmail: true,
    startsExecutionsOf: 'workflowRun',
    trigger: { kind: 'schedule', expression: 'rate(5 minutes)', maxRetries: 4 },
  },

  /**
   * Every CRM event, for webhook endpoints (the CRM's own rule on its bus): a delivery written
   * for each endpoint that wants the event, then queued. EventBridge API destinations were
   * not used: they add static auth headers, and cannot compute a signature over each body,
   * as Standard Webhooks needs; nor retry for more than 24 h per endpoint, or keep a log.
   */
  webhookFanout: {
    entry: 'functions/webhook-fanout.ts',
    memoryMb: 512,
    timeoutSeconds: 30,
    tableAccess: 'readWrite',
    sendsTo: 'webhookDeliveries',
    trigger: { kind: 'eventRule', bus: 'crm', eventPattern: { source: ['crm'] }, maxRetries: 8 },
  },

  /** One attempt of each queued webhook delivery; a failed one comes back after its backoff (docs/integrations.md). */
  webhookDelivery: {
    entry: 'functions/webhook-delivery.ts',
    memoryMb: 512,
    // Ten endpoints of a batch at their 10 s limit, in parallel, with room to record the outcomes.
    timeoutSeconds: 30,
    tableAccess: 'readWrite',
    sendsEmail: true,
    trigger: { kind: 'queue', queue: 'webhookDeliveries', batchSize: 10, maxConcurrency: 20 },
  },

  /**
   * Each message SES receives: parsed (mailparser), logged as an email activity on the contacts
   * it is with, their companies and open deals; a reply marks the CRM email it answers
   * `replied` and stops the contact's sequences (domain/inbound/).
   */
  inboundEmail: { entry: 'functions/inbound-email.ts', memoryMb: 1024, timeoutSeconds: 60, tableAccess: 'readWrite', trigger: { kind: 'inboundEmail' } },

  /** The steps of a workflow run, up to its next wait: each action idempotent per run and step. */
  workflowStep: { entry: 'functions/workflow-step.ts', memoryMb: 512, timeoutSeconds: 60, tableAccess: 'readWrite', sendsEmail: true, trigger: { kind: 'stateMachineTask', stateMachine: 'workflowRun' } },

  /** One step of an export: pages of the list written as one part of its file. */
  exportStep: { entry: 'functions/export-step.ts', memoryMb: 1024, timeoutSeconds: 300, tableAccess: 'readWrite', files: 'exportWrite', trigger: { kind: 'stateMachineTask', stateMachine: 'exportRun' } },

  /** One step of an import: rows of its file from where the last stopped, batches of 100 written as the batch route writes them; then its error report. */
  importStep: { entry: 'functions/import-step.ts', memoryMb: 1024, timeoutSeconds: 900, tableAccess: 'readWrite', files: 'importRun', trigger: { kind: 'stateMachineTask', stateMachine: 'importRun' } },

  /** One step of a report rebuild: mend the reports' shares of the next pages of records, and say where it stopped. */
  reportRebuildStep: { entry: 'functions/report-rebuild-step.ts', memoryMb: 512, timeoutSeconds: 300, tableAccess: 'readWrite', trigger: { kind: 'stateMachineTask', stateMachine: 'reportRebuild' } },

  /** One step of a follow-up sequence run: send that step's email, advance the enrollment, plan the next wait. */
  sequenceStep: { entry: 'functions/sequence-step.ts', memoryMb: 512, timeoutSeconds: 30, tableAccess: 'readWrite', sendsEmail: true, trigger: { kind: 'stateMachineTask', stateMachine: 'sequenceRun' } },
} as const satisfies Record<string, FunctionDeclaration>;

export type FunctionName = keyof typeof functionManifest;

type Declared = (typeof functionManifest)[FunctionName];
export type TriggeredBy<K extends Trigger['kind']> = FunctionDeclaration & { readonly trigger: Extract<Trigger, { kind: K }> };

/** The functions a kind of trigger invokes, by name. */
export function functionsTriggeredBy<K extends Trigger['kind']>(kind: K): [FunctionName, TriggeredBy<K>][] {
  return (Object.entries(functionManifest) as [FunctionName, Declared][]).filter(([, declaration]) => declaration.trigger.kind === kind) as unknown as [FunctionName, TriggeredBy<K>][];
}

/** An HTTP function's API Gateway route keys, from its contract group. */
export const routeKeysOf = (declaration: TriggeredBy<'http'>): string[] => Object.values(declaration.trigger.operations).map((operation) => operation.routeKey);

/** Whether an HTTP function's routes skip authorization (every operation of its group is public). */
export const isPublic = (declaration: TriggeredBy<'http'>): boolean => Object.values(declaration.trigger.operations).every((operation) => operation.public === true);

/**
 * The pattern an event rule is deployed with, and the local event bus matches with: the
 * declaration's, narrowed to the deployment's configuration set for an `emailConfigurationSet`
 * rule (SES tags every event with it: `detail.mail.tags["ses:configuration-set"]`).
 */
export function deployedEventPattern(trigger: Pick<Extract<Trigger, { kind: 'eventRule' }>, 'eventPattern' | 'scope'>, deployment: { readonly configurationSetName: string }): Record<string, unknown> {
  if (trigger.scope !== 'emailConfigurationSet') return trigger.eventPattern;
  return { ...trigger.eventPattern, detail: { mail: { tags: { 'ses:configuration-set': [deployment.configurationSetName] } } } };
}
