import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { apiFunctions } from '../functions/api-routes';
import { ApiLambda } from './constructs/api-lambda';
import { CrmAuth } from './constructs/crm-auth';
import { CrmHttpApi } from './constructs/http-api';
import { CrmTable } from './constructs/crm-table';
import type { StackConfig } from './stack-config';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface CrmStackProps extends StackProps {
  /** Deployment stage, e.g. `dev` or `prod`; names the API. */
  readonly stage: string;
  /** Validated settings of the stage: see stack-config.ts. */
  readonly config: StackConfig;
}

/** The whole CRM backend: one table, one Lambda per route family, one HTTP API behind a JWT authorizer. */
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

    for (const [name, definition] of Object.entries(apiFunctions)) {
      const apiLambda = new ApiLambda(this, `${name}Function`, {
        definition,
        table,
        projectRoot: repoRoot,
        logRetention: config.logRetentionDays,
        environment: { AUTH_ROLE_CLAIM: auth.roleClaim },
      });
      httpApi.addLambdaRoutes(name, apiLambda.handler, definition);
    }

    new CfnOutput(this, 'ApiUrl', { value: httpApi.url });
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
  }
}
