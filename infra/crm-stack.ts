import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { deployedEventPattern, functionManifest, functionsTriggeredBy, isPublic, queueManifest, routeKeysOf, type FunctionDeclaration, type FunctionName, type QueueName, type StateMachineName, type TriggeredBy } from '../functions/manifest';
import { ApiCustomDomain } from './constructs/api-custom-domain';
import { CrmAuth } from './constructs/crm-auth';
import { CrmEmail } from './constructs/crm-email';
import { CrmEventBus } from './constructs/crm-event-bus';
import { CrmExportBucket } from './constructs/crm-export-bucket';
import { CrmFunction } from './constructs/crm-function';
import { CrmInboundEmail } from './constructs/crm-inbound-email';
import { CrmHttpApi } from './constructs/http-api';
import { CrmObservability } from './constructs/crm-observability';
import { CrmTable } from './constructs/crm-table';
import { EventRuleFunction } from './constructs/event-rule-function';
import { createCrmQueue, QueueFunction, type CrmQueue } from './constructs/queue-function';
import { RunStateMachine } from './constructs/run-state-machine';
import { ScheduledFunction } from './constructs/scheduled-function';
import { runStateMachines } from './state-machines/runs';
import { TableStreamConsumer } from './constructs/table-stream-consumer';
import type { StackConfig } from './stack-config';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface CrmStackProps extends StackProps {
  /** Deployment stage, e.g. `dev` or `prod`; names the API. */
  readonly stage: string;
  /** Validated settings of the stage: see stack-config.ts. */
  readonly config: StackConfig;
}

/**
 * The whole CRM backend: one table, the Lambdas of functions/manifest.ts with what triggers
 * each (an HTTP API behind a JWT authorizer, the table's stream, EventBridge rules, the
 * follow-up sequence state machine), SES sending and its events, and the alarms and
 * dashboard that watch them (in a nested stack: see CrmObservability).
 */
export class CrmStack extends Stack {
  constructor(scope: Construct, id: string, props: CrmStackProps) {
    super(scope, id, props);
    const { config } = props;

    const table = new CrmTable(this, 'CrmTable', {
      encryption: config.tableEncryption,
      kmsKeyArn: config.tableKmsKeyArn,
      warmThroughput: config.tableWarmThroughput,
    });
    const auth = new CrmAuth(this, 'Auth', { config: config.auth });

    // Every route whose operations are not all public needs a valid token.
    const httpApi = new CrmHttpApi(this, 'HttpApi', {
      apiName: `crm-${props.stage}`,
      throttle: config.throttle,
      accessLogRetention: config.logRetentionDays,
      authorizer: auth.authorizer,
    });

    // Without `email` in the stage config nothing may send: no identity, no grant, no sender
    // setting. With it, a function whose declaration says `sendsEmail` gets both.
    const email = config.email ? new CrmEmail(this, 'Email', { config: config.email }) : undefined;
    // Unsubscribe links in automated mail point at the API's public address.
    const publicApiUrl = config.customDomain ? `https://${config.customDomain.domainName}` : httpApi.url;
    const senderEnvironment = email ? { ...email.senderEnvironment, PUBLIC_API_URL: publicApiUrl } : {};
    // Receiving: only where the stage sends mail too (replies answer what it sent).
    const inbound = email && config.email?.inbound ? new CrmInboundEmail(this, 'InboundEmail', { config: config.email.inbound }) : undefined;

    // Every committed change is published here; integrators and (later) workflows add rules.
    const eventBus = new CrmEventBus(this, 'Events', { stage: props.stage, config: config.events });
    const exportBucket = new CrmExportBucket(this, 'Exports');

    // A nested stack of its own, and none where it would hold nothing (CloudFormation refuses an empty template).
    const observability =
      config.alarms.enabled || config.dashboard ? new CrmObservability(this, 'Observability', { alarms: config.alarms, dashboard: config.dashboard }) : undefined;
    const stateMachines = new Map<StateMachineName, RunStateMachine>();
    const functions: Partial<Record<FunctionName, IFunction>> = {};
    const consumers: [FunctionName, TableStreamConsumer][] = [];
    const rules: [FunctionName, EventRuleFunction][] = [];
    const schedules: [FunctionName, ScheduledFunction][] = [];
    const queueConsumers: [FunctionName, QueueFunction][] = [];
    // Queues before functions: senders need their URL, and their consumer is built on them.
    const queues = new Map<QueueName, CrmQueue>(
      functionsTriggeredBy('queue').map(([, { trigger, timeoutSeconds }]) => [trigger.queue, createCrmQueue(this, trigger.queue, timeoutSeconds)]),
    );

    // State machine tasks first: the state machines are built around them, and other functions start those.
    const declared = (Object.entries(functionManifest) as [FunctionName, FunctionDeclaration][]).sort(
      ([, a], [, b]) => Number(b.trigger.kind === 'stateMachineTask') - Number(a.trigger.kind === 'stateMachineTask'),
    );
    for (const [name, declaration] of declared) {
      const { trigger } = declaration;
      // A rule for this stage's SES events exists only where this stage sends email, receiving only where it receives.
      if (trigger.kind === 'eventRule' && trigger.scope === 'emailConfigurationSet' && !email) continue;
      if (trigger.kind === 'inboundEmail' && !inbound) continue;
      const startsExecutions = declaration.startsExecutionsOf ? stateMachines.get(declaration.startsExecutionsOf) : undefined;
      const startedArnSetting = declaration.startsExecutionsOf ? runStateMachines[declaration.startsExecutionsOf].arnSetting : undefined;
      if (declaration.startsExecutionsOf && !startedArnSetting) throw new Error(`${name} starts ${declaration.startsExecutionsOf}, which has no arnSetting to tell it the ARN`);
      const sendsTo = declaration.sendsTo ? queues.get(declaration.sendsTo) : undefined;
      const common = {
        declaration,
        table,
        projectRoot: repoRoot,
        logRetention: config.logRetentionDays,
        environment: {
          ...(trigger.kind === 'http' ? { AUTH_ROLE_CLAIM: auth.roleClaim } : {}),
          ...(declaration.sendsEmail ? senderEnvironment : {}),
          ...(declaration.publishesEvents ? { EVENT_BUS_NAME: eventBus.bus.eventBusName } : {}),
          ...(startsExecutions && startedArnSetting ? { [startedArnSetting]: startsExecutions.stateMachine.stateMachineArn } : {}),
          ...(sendsTo ? { [queueManifest[declaration.sendsTo!].urlSetting]: sendsTo.queue.queueUrl } : {}),
          ...(trigger.kind === 'queue' ? { [queueManifest[trigger.queue].urlSetting]: queues.get(trigger.queue)!.queue.queueUrl } : {}),
          ...(trigger.kind === 'inboundEmail' ? inbound!.functionEnvironment : {}),
          ...(trigger.kind === 'stateMachineTask' && trigger.stateMachine === 'importRun'
            ? { IMPORT_CONCURRENT_RANGES: String(config.imports.concurrentRanges), IMPORT_PARALLEL_BATCHES: String(config.imports.parallelBatches) }
            : {}),
          ...(declaration.usesInboundDomain && inbound ? { INBOUND_EMAIL_DOMAIN: inbound.domain } : {}),
          ...(declaration.files ? { EXPORT_BUCKET: exportBucket.bucket.bucketName } : {}),
          ...(declaration.signsUsersIn && auth.userPool ? { SIGN_IN_URL: auth.userPool.domain.baseUrl(), SIGN_IN_CLIENT_ID: auth.userPool.userClient.userPoolClientId } : {}),
        },
      };
      let handler: IFunction;
      switch (trigger.kind) {
        case 'http': {
          handler = new CrmFunction(this, `${name}Function`, common).handler;
          const http = declaration as TriggeredBy<'http'>;
          httpApi.addLambdaRoutes(name, handler, { routeKeys: routeKeysOf(http), public: isPublic(http), ...(trigger.publicBecause ? { publicBecause: trigger.publicBecause } : {}) });
          break;
        }
        case 'stream': {
          // Work that must finish even when the request that started it did not.
          const consumer = new TableStreamConsumer(this, `${name}Consumer`, { ...common, trigger });
          handler = consumer.handler;
          consumers.push([name, consumer]);
          break;
        }
        case 'eventRule': {
          const eventPattern = deployedEventPattern(trigger, { configurationSetName: email?.configurationSet.configurationSetName ?? '' });
          const rule = new EventRuleFunction(this, `${name}Rule`, { ...common, trigger, eventPattern, crmBus: eventBus.bus });
          handler = rule.handler;
          rules.push([name, rule]);
          break;
        }
        case 'schedule': {
          const scheduled = new ScheduledFunction(this, `${name}Schedule`, { ...common, trigger });
          handler = scheduled.handler;
          schedules.push([name, scheduled]);
          break;
        }
        case 'queue': {
          const consumer = new QueueFunction(this, `${name}Queue`, { ...common, trigger, queue: queues.get(trigger.queue)! });
          handler = consumer.handler;
          queueConsumers.push([name, consumer]);
          break;
        }
        case 'inboundEmail': {
          const receiver = new CrmFunction(this, `${name}Receiver`, common).handler;
          inbound!.receiveWith(receiver);
          handler = receiver;
          break;
        }
        case 'stateMachineTask': {
          const task = new CrmFunction(this, `${name}Task`, common).handler;
          handler = task;
          // Its Task states give it invoke on the step function, and nothing else.
          const run = runStateMachines[trigger.stateMachine];
          // Construct ids from the name (`SequenceRun`), as the sequence run was first deployed under.
          const constructId = trigger.stateMachine.charAt(0).toUpperCase() + trigger.stateMachine.slice(1);
          stateMachines.set(trigger.stateMachine, new RunStateMachine(this, constructId, { run, stepFunction: task, logRetention: config.logRetentionDays }));
          break;
        }
      }
      if (declaration.sendsEmail) email?.grantSend(handler);
      if (declaration.publishesEvents) eventBus.grantPublish(handler);
      // StartExecution on this state machine only: no stop, no describe, no other state machine.
      startsExecutions?.stateMachine.grantStartExecution(handler);
      sendsTo?.queue.grantSendMessages(handler);
      if (declaration.files) exportBucket.grant(handler, declaration.files);
      functions[name] = handler;
    }

    const customDomain = config.customDomain
      ? new ApiCustomDomain(this, 'CustomDomain', { config: config.customDomain, api: httpApi.api, stage: httpApi.stage })
      : undefined;

    if (observability) {
      observability.monitorHttpApi(httpApi.api);
      observability.monitorFunctions(functions);
      observability.monitorTable(table.table);
      for (const [name, consumer] of consumers) observability.monitorStreamConsumer(name, consumer);
      for (const [name, rule] of rules) observability.monitorEventRule(name, rule);
      for (const [name, scheduled] of schedules) observability.monitorSchedule(name, scheduled);
      for (const [name, consumer] of queueConsumers) observability.monitorQueueConsumer(name, consumer);
      for (const [name, { stateMachine }] of stateMachines) observability.monitorStateMachine(runStateMachines[name].nameSuffix, stateMachine);
      if (email) observability.monitorEmailSending(email.configurationSet);
      if (inbound?.deadLetterQueue) observability.monitorInboundEmail(inbound.deadLetterQueue);
      observability.monitorApplicationMetrics();
    }

    new CfnOutput(this, 'ApiUrl', { value: httpApi.url });
    if (customDomain) {
      new CfnOutput(this, 'CustomDomainUrl', { value: customDomain.url });
      new CfnOutput(this, 'CustomDomainTarget', {
        value: customDomain.target,
        description: `Point a CNAME for ${customDomain.hostName} at this host name`,
      });
      new CfnOutput(this, 'CustomDomainHostedZoneId', {
        value: customDomain.targetHostedZoneId,
        description: 'Hosted zone of CustomDomainTarget, for a Route 53 alias record',
      });
    }
    new CfnOutput(this, 'TableName', { value: table.table.tableName });
    new CfnOutput(this, 'ExportBucketName', { value: exportBucket.bucket.bucketName, description: 'Export files, kept a day (docs/data-in-and-out.md)' });
    new CfnOutput(this, 'EventBusName', { value: eventBus.bus.eventBusName, description: 'Every committed change of a record, email or enrollment (docs/events.md)' });
    new CfnOutput(this, 'EventBusArn', { value: eventBus.bus.eventBusArn });
    new CfnOutput(this, 'EventSchemaRegistryName', { value: eventBus.registryName, description: 'JSON Schemas of the events, for code bindings' });
    new CfnOutput(this, 'Issuer', { value: auth.issuer, description: 'The `iss` every accepted token carries' });
    if (auth.userPool) {
      new CfnOutput(this, 'UserPoolId', { value: auth.userPool.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', {
        value: auth.userPool.userClient.userPoolClientId,
        description: 'Public client people sign in with (authorization code + PKCE)',
      });
      new CfnOutput(this, 'TokenEndpoint', {
        value: auth.userPool.tokenEndpoint,
        description: 'OAuth2 token endpoint, for client-credentials tokens of machine clients',
      });
    }
    for (const [name, { stateMachine }] of stateMachines) {
      new CfnOutput(this, runStateMachines[name].output.id, { value: stateMachine.stateMachineArn, description: runStateMachines[name].output.description });
    }
    if (email) {
      new CfnOutput(this, 'EmailConfigurationSetName', {
        value: email.configurationSet.configurationSetName,
        description: 'SES configuration set every CRM email is sent with',
      });
      new CfnOutput(this, 'EmailIdentity', {
        value: email.identityName,
        description: email.identity ? 'SES identity the stack created for the sender' : 'Existing SES identity the sender uses',
      });
      email.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `EmailDkimRecord${index + 1}`, {
          value: `${record.name} CNAME ${record.value}`,
          description: `Publish at the DNS of ${email.identityName} to verify it for SES (Easy DKIM)`,
        });
      });
    }
    if (inbound) {
      new CfnOutput(this, 'InboundMxRecord', {
        value: `${inbound.domain} MX 10 inbound-smtp.${this.region}.amazonaws.com`,
        description: 'Publish at the DNS of the inbound domain so mail to it reaches SES receiving',
      });
      new CfnOutput(this, 'InboundReceiptRuleSet', {
        value: inbound.ruleSet.receiptRuleSetName,
        description: 'Activate once per account and region: aws ses set-active-receipt-rule-set --rule-set-name <this> (docs/integrations.md)',
      });
      new CfnOutput(this, 'InboundMailBucket', { value: inbound.bucket.bucketName });
    }
    if (observability?.alarmTopic) {
      new CfnOutput(this, 'AlarmTopicArn', {
        value: observability.alarmTopic.topicArn,
        description: 'Every alarm notifies this SNS topic; subscribe more endpoints to it',
      });
    }
    if (observability?.dashboard) {
      new CfnOutput(this, 'DashboardName', { value: observability.dashboard.dashboardName });
    }
  }
}
