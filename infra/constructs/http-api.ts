import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  type IHttpRouteAuthorizer,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface CrmHttpApiProps {
  readonly apiName: string;
  /** Applies to every route of the default stage. */
  readonly throttle: Required<ThrottleSettings>;
  readonly accessLogRetention: RetentionDays;
  /** Guards every route not marked `public`; without one, every route is open. */
  readonly authorizer?: IHttpRouteAuthorizer;
}

/** HTTP API context variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html */
const accessLogFields = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  integrationError: '$context.integrationErrorMessage',
  latency: '$context.responseLatency',
};

const httpMethods = new Set<string>(Object.values(HttpMethod));

function parseRouteKey(routeKey: string): { method: HttpMethod; path: string } {
  const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
  if (!match?.[1] || !match[2] || !httpMethods.has(match[1])) {
    throw new Error(`Invalid route key "${routeKey}": expected "METHOD /path", e.g. "GET /v1/contacts/{id}".`);
  }
  return { method: match[1] as HttpMethod, path: match[2] };
}

/**
 * The CRM HTTP API: payload format 2.0 Lambda integrations, one route per
 * route key, a throttled and access-logged default stage, no CORS.
 */
export class CrmHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  private readonly authorizer: IHttpRouteAuthorizer | undefined;

  constructor(scope: Construct, id: string, props: CrmHttpApiProps) {
    super(scope, id);
    this.authorizer = props.authorizer;

    // The stage is declared here rather than by HttpApi so that throttling and access
    // logging are typed props instead of overrides on the generated CfnStage.
    this.api = new HttpApi(this, 'Api', { apiName: props.apiName, createDefaultStage: false });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.accessLogRetention });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });
  }

  get url(): string {
    return this.stage.url;
  }

  /** Sends every route key to `handler`; public routes skip the authorizer, and say why that is safe. */
  addLambdaRoutes(id: string, handler: IFunction, definition: { readonly routeKeys: readonly string[]; readonly public: boolean; readonly publicBecause?: string }): void {
    // One invoke permission per function, for any route of this API, rather than one per route:
    // per-route permissions alone took the stack past CloudFormation's 500 resources.
    const integration = new HttpLambdaIntegration(`${id}Integration`, handler, { scopePermissionToRoute: false });
    const authorizer = definition.public ? new HttpNoneAuthorizer() : this.authorizer;
    for (const routeKey of definition.routeKeys) {
      const { method, path } = parseRouteKey(routeKey);
      const routes = this.api.addRoutes({ path, methods: [method], integration, authorizer });
      if (definition.public) {
        for (const route of routes) {
          Validations.of(route).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `${routeKey} is public by design (functions/manifest.ts): ${definition.publicBecause ?? 'no reason given'}. Every other route requires a JWT.`,
          });
        }
      }
    }
  }
}
