import { fileURLToPath } from 'node:url';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Construct } from 'constructs';
import { apiFunctions } from '../functions/api-routes';
import { ApiLambda } from './constructs/api-lambda';
import { CrmHttpApi } from './constructs/http-api';
import { CrmTable } from './constructs/crm-table';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const defaultThrottle = { burstLimit: 200, rateLimit: 100 };

export interface CrmStackProps extends StackProps {
  /** Deployment stage, e.g. `dev` or `prod`; names the API. */
  readonly stage: string;
  /** Default-stage throttling; each limit falls back to burst 200, rate 100 requests/s. */
  readonly throttle?: ThrottleSettings;
}

/** The whole CRM backend: one table, one Lambda per route family, one HTTP API. */
export class CrmStack extends Stack {
  constructor(scope: Construct, id: string, props: CrmStackProps) {
    super(scope, id, props);

    const table = new CrmTable(this, 'CrmTable');

    // Route authorization plugs in here: an `authorizer` given to CrmHttpApi guards
    // every route that functions/api-routes.ts does not mark `public`.
    const httpApi = new CrmHttpApi(this, 'HttpApi', {
      apiName: `crm-${props.stage}`,
      throttle: {
        burstLimit: props.throttle?.burstLimit ?? defaultThrottle.burstLimit,
        rateLimit: props.throttle?.rateLimit ?? defaultThrottle.rateLimit,
      },
    });

    for (const [name, definition] of Object.entries(apiFunctions)) {
      const apiLambda = new ApiLambda(this, `${name}Function`, { definition, table, projectRoot: repoRoot });
      httpApi.addLambdaRoutes(name, apiLambda.handler, definition);
    }

    new CfnOutput(this, 'ApiUrl', { value: httpApi.url });
    new CfnOutput(this, 'TableName', { value: table.table.tableName });
  }
}
