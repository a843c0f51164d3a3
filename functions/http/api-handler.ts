import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Actor } from '../../domain/shared/actor';
import { UnauthorizedError } from '../../domain/shared/errors';
import { loadConfig } from '../../adapters/config';
import { logger } from '../../adapters/logger';
import { metrics } from '../../adapters/metrics';
import { actorFromClaims } from './actor-from-claims';
import type { ApiOperation, OperationImplementation } from './api-operation';
import { ifMatchOf } from './etag';
import { parseRequest } from './parse-request';
import { problemResponse } from './problem-details';

export type Implementations = Record<string, OperationImplementation>;

/**
 * Requests, client errors and server errors of the whole API. Deliberately without a
 * route or function dimension: every distinct dimension set is a billed custom metric,
 * and three metrics keep an active deployment under a dollar a month. Per-route detail
 * is in API Gateway's access log (route, status and latency of every request).
 */
function countResponse(status: number | undefined): void {
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  if (status !== undefined && status >= 400) metrics.addMetric(status >= 500 ? 'ServerErrors' : 'ClientErrors', MetricUnit.Count, 1);
}

/**
 * One Lambda per route family. Middleware first, handler last: header normalizing,
 * logging context, then the family's extra middleware (idempotency), with errors
 * turned into problem+json in exactly one place.
 */
export function createApiHandler(
  operations: readonly ApiOperation[],
  implementations: Implementations,
  extraMiddleware: middy.MiddlewareObj<APIGatewayProxyEventV2>[] = [],
) {
  const byRoute = new Map(operations.map((operation) => [operation.routeKey, operation]));
  const { AUTH_ROLE_CLAIM } = loadConfig();

  const route = async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    const operation = byRoute.get(event.routeKey);
    const implementation = operation && implementations[operation.operationId];
    if (!operation || !implementation) throw new Error(`No operation for route ${event.routeKey}`);
    // Authenticate before reading anything else, so an anonymous caller learns nothing from validation errors.
    const actor = operation.public ? undefined : actorFromClaims(event, AUTH_ROLE_CLAIM);
    logger.appendKeys({ route: event.routeKey, ...(actor ? { actor: { type: actor.type, id: actor.id, role: actor.role } } : {}) });
    const { params, query, body } = parseRequest(operation, event);
    const ifMatch = operation.conditional ? ifMatchOf(event.headers?.['if-match']) : undefined;
    const idempotencyKey = operation.idempotent ? event.headers?.['idempotency-key'] : undefined;
    const request = {
      params,
      query,
      body,
      get actor(): Actor {
        if (!actor) throw new UnauthorizedError();
        return actor;
      },
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
      ...(ifMatch !== undefined ? { ifMatch } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
    };
    const result = await implementation(request);
    const contentType: Record<string, string> = result.rawBody !== undefined ? {} : { 'content-type': 'application/json' };
    return {
      statusCode: result.status,
      headers: { ...contentType, ...result.headers },
      ...(result.rawBody !== undefined ? { body: result.rawBody } : result.body !== undefined ? { body: JSON.stringify(result.body) } : {}),
    };
  };

  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Error, Context>()
    .use(httpHeaderNormalizer())
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use({
      // Runs on the way out, once the response (or the problem) is final, before the metrics are flushed.
      after: async (request) => countResponse(request.response?.statusCode),
      onError: async (request) => {
        request.response = problemResponse(request.error, request.event);
        countResponse(request.response.statusCode);
      },
    });
  for (const middleware of extraMiddleware) handler.use(middleware);
  return handler.handler(route);
}
