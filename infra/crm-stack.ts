import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { apiFunctions, type ApiFunction } from '../functions/api-routes';
import { deployedEventPattern, eventRules, type EventRule, type EventRuleName } from '../functions/event-rules';
import { stateMachineTasks, type StateMachineTask, type StateMachineTaskName } from '../functions/state-machine-tasks';
import { streamConsumers, type StreamConsumer, type StreamConsumerName } from '../functions/stream-consumers';
import { ApiCustomDomain } from './constructs/api-custom-domain';
import { CrmAuth } from './constructs/crm-auth';
import { CrmEmail } from './constructs/crm-email';
import { CrmFunction } from './constructs/crm-function';
import { CrmHttpApi } from './constructs/http-api';
import { CrmObservability, kebabCase } from './constructs/crm-observability';
import { CrmTable, type TableAccess } from './constructs/crm-table';
import { EventRuleFunction } from './constructs/event-rule-function';
import { SequenceStateMachine } from './constructs/sequence-state-machine';
import { TableStreamConsumer } from './constructs/table-stream-consumer';
import type { StackConfig } from './stack-config';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * What each consumer of the table's stream may do on the table (an API function's access
 * is in its definition). A new consumer does not compile until it is given one here.
 */
export const streamConsumerTableAccess: Record<StreamConsumerName, TableAccess> = {
  recordSweeper: 'sweep',
  // Re-reads the enrollment and its sequence (domain/sequences/sequence-runs.ts
  // startSequenceRun) and writes nothing: Step Functions keeps the run.
  sequenceStarter: 'read',
};

export interface CrmStackProps extends StackProps {
  /** Deployment stage, e.g. `dev` or `prod`; names the API. */
  readonly stage: string;
  /** Validated settings of the stage: see stack-config.ts. */
  readonly config: StackConfig;
}

/**
 * The whole CRM backend: one table, one Lambda per route family, one HTTP API behind a
 * JWT authorizer, the Lambdas fed by the table's stream, SES sending and its events, the
 * follow-up sequence state machine, and the alarms and dashboard that watch them.
 */
export class CrmStack extends Stack {
  constructor(scope: Construct, id: string, props: CrmStackProps) {
    super(scope, id, props);
    const { config } = props;

    const table = new CrmTable(this, 'CrmTable', {
      encryption: config.tableEncryption,
      kmsKeyArn: config.tableKmsKeyArn,
    });
    const auth = new CrmAuth(this, 'Auth', { config: config.auth });

    // Every route that functions/api-routes.ts does not mark `public` needs a valid token.
    const httpApi = new CrmHttpApi(this, 'HttpApi', {
      apiName: `crm-${props.stage}`,
      throttle: config.throttle,
      accessLogRetention: config.logRetentionDays,
      authorizer: auth.authorizer,
    });

    // Without `email` in the stage config nothing may send: no identity, no grant, no sender
    // setting. With it, a function whose definition says `sendsEmail` gets both.
    const email = config.email ? new CrmEmail(this, 'Email', { config: config.email }) : undefined;
    // Unsubscribe links in automated mail point at the API's public address.
    const publicApiUrl = config.customDomain ? `https://${config.customDomain.domainName}` : httpApi.url;
    const senderEnvironment = email ? { ...email.senderEnvironment, PUBLIC_API_URL: publicApiUrl } : {};

    const functions: Record<string, IFunction> = {};
    for (const [name, definition] of Object.entries(apiFunctions) as [string, ApiFunction][]) {
      const apiLambda = new CrmFunction(this, `${name}Function`, {
        definition,
        table,
        tableAccess: definition.tableAccess,
        projectRoot: repoRoot,
        logRetention: config.logRetentionDays,
        environment: { AUTH_ROLE_CLAIM: auth.roleClaim, ...(definition.sendsEmail ? senderEnvironment : {}) },
      });
      if (definition.sendsEmail) email?.grantSend(apiLambda.handler);
      httpApi.addLambdaRoutes(name, apiLambda.handler, definition);
      functions[name] = apiLambda.handler;
    }

    // The Lambdas state machines call (functions/state-machine-tasks.ts), then the state machine.
    const tasks = Object.fromEntries(
      (Object.entries(stateMachineTasks) as [StateMachineTaskName, StateMachineTask][]).map(([name, definition]) => {
        const task = new CrmFunction(this, `${name}Task`, {
          definition,
          table,
          tableAccess: definition.tableAccess,
          projectRoot: repoRoot,
          logRetention: config.logRetentionDays,
          environment: definition.sendsEmail ? senderEnvironment : {},
        });
        if (definition.sendsEmail) email?.grantSend(task.handler);
        functions[kebabCase(name)] = task.handler;
        return [name, task];
      }),
    ) as Record<StateMachineTaskName, CrmFunction>;
    // Its Task states give it invoke on the step function, and nothing else.
    const sequenceRun = new SequenceStateMachine(this, 'SequenceRun', {
      stepFunction: tasks.sequenceStep.handler,
      logRetention: config.logRetentionDays,
    });

    // Work that must finish even when the request that started it did not (functions/stream-consumers.ts).
    const consumerEnvironment: Partial<Record<StreamConsumerName, Record<string, string>>> = {
      sequenceStarter: { SEQUENCE_STATE_MACHINE_ARN: sequenceRun.stateMachine.stateMachineArn },
    };
    const consumers = (Object.entries(streamConsumers) as [StreamConsumerName, StreamConsumer][]).map(
      ([name, definition]) =>
        [
          name,
          new TableStreamConsumer(this, `${name}Consumer`, {
            definition,
            table,
            tableAccess: streamConsumerTableAccess[name],
            projectRoot: repoRoot,
            logRetention: config.logRetentionDays,
            environment: consumerEnvironment[name],
          }),
        ] as const,
    );
    const consumerByName = Object.fromEntries(consumers) as Record<StreamConsumerName, TableStreamConsumer>;
    // StartExecution on this state machine only: no stop, no describe, no other state machine.
    sequenceRun.stateMachine.grantStartExecution(consumerByName.sequenceStarter.handler);

    // Lambdas invoked by EventBridge rules (functions/event-rules.ts). A rule scoped to the
    // email configuration set sees only the SES events of this stage's mail, and exists only
    // where this stage sends email.
    const rules = (Object.entries(eventRules) as [EventRuleName, EventRule][]).flatMap(([name, definition]) => {
      if (definition.scope === 'emailConfigurationSet' && !email) return [];
      const eventPattern = deployedEventPattern(definition, { configurationSetName: email?.configurationSet.configurationSetName ?? '' });
      return [
        [
          name,
          new EventRuleFunction(this, `${name}Rule`, {
            definition,
            eventPattern,
            table,
            tableAccess: definition.tableAccess,
            projectRoot: repoRoot,
            logRetention: config.logRetentionDays,
          }),
        ] as const,
      ];
    });

    const customDomain = config.customDomain
      ? new ApiCustomDomain(this, 'CustomDomain', { config: config.customDomain, api: httpApi.api, stage: httpApi.stage })
      : undefined;

    const observability = new CrmObservability(this, 'Observability', { alarms: config.alarms, dashboard: config.dashboard });
    observability.monitorHttpApi(httpApi.api);
    observability.monitorFunctions(functions);
    observability.monitorTable(table.table);
    for (const [name, consumer] of consumers) observability.monitorStreamConsumer(name, consumer);
    for (const [name, rule] of rules) observability.monitorEventRule(name, rule);
    observability.monitorStateMachine('sequence-run', sequenceRun.stateMachine);
    if (email) observability.monitorEmailSending(email.configurationSet);
    observability.monitorApplicationMetrics();

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
    new CfnOutput(this, 'SequenceStateMachineArn', {
      value: sequenceRun.stateMachine.stateMachineArn,
      description: 'Runs follow-up sequences; one execution per enrollment, named after its run',
    });
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
    if (observability.alarmTopic) {
      new CfnOutput(this, 'AlarmTopicArn', {
        value: observability.alarmTopic.topicArn,
        description: 'Every alarm notifies this SNS topic; subscribe more endpoints to it',
      });
    }
    if (observability.dashboard) {
      new CfnOutput(this, 'DashboardName', { value: observability.dashboard.dashboardName });
    }
  }
}
