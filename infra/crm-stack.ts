import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { apiFunctions } from '../functions/api-routes';
import { streamConsumers, type StreamConsumer, type StreamConsumerName } from '../functions/stream-consumers';
import { ApiCustomDomain } from './constructs/api-custom-domain';
import { CrmAuth } from './constructs/crm-auth';
import { CrmFunction } from './constructs/crm-function';
import { CrmHttpApi } from './constructs/http-api';
import { CrmObservability } from './constructs/crm-observability';
import { CrmTable, type TableAccess } from './constructs/crm-table';
import { TableStreamConsumer } from './constructs/table-stream-consumer';
import type { StackConfig } from './stack-config';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * What each consumer of the table's stream may do on the table (an API function's access
 * is in its definition). A new consumer does not compile until it is given one here.
 */
export const streamConsumerTableAccess: Record<StreamConsumerName, TableAccess> = {
  recordSweeper: 'sweep',
};

export interface CrmStackProps extends StackProps {
  /** Deployment stage, e.g. `dev` or `prod`; names the API. */
  readonly stage: string;
  /** Validated settings of the stage: see stack-config.ts. */
  readonly config: StackConfig;
}

/**
 * The whole CRM backend: one table, one Lambda per route family, one HTTP API behind a
 * JWT authorizer, the Lambdas fed by the table's stream, and the alarms and dashboard
 * that watch them.
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

    const functions: Record<string, IFunction> = {};
    for (const [name, definition] of Object.entries(apiFunctions)) {
      const apiLambda = new CrmFunction(this, `${name}Function`, {
        definition,
        table,
        tableAccess: definition.tableAccess,
        projectRoot: repoRoot,
        logRetention: config.logRetentionDays,
        environment: { AUTH_ROLE_CLAIM: auth.roleClaim },
      });
      httpApi.addLambdaRoutes(name, apiLambda.handler, definition);
      functions[name] = apiLambda.handler;
    }

    // Work that must finish even when the request that started it did not (functions/stream-consumers.ts).
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
          }),
        ] as const,
    );

    const customDomain = config.customDomain
      ? new ApiCustomDomain(this, 'CustomDomain', { config: config.customDomain, api: httpApi.api, stage: httpApi.stage })
      : undefined;

    const observability = new CrmObservability(this, 'Observability', { alarms: config.alarms, dashboard: config.dashboard });
    observability.monitorHttpApi(httpApi.api);
    observability.monitorFunctions(functions);
    observability.monitorTable(table.table);
    for (const [name, consumer] of consumers) observability.monitorStreamConsumer(name, consumer);
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
