import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Actor } from '../../domain/shared/actor';
import { logger } from '../../adapters/logger';
import type { ApiOperation, OperationImplementation } from './api-operation';
import { versionFromIfMatch } from './etag';
import { parseRequest } from './parse-request';
import { problemResponse } from './problem-details';

/** Who is calling: the verified JWT subject API Gateway hands us, never a header the client chose. */
function actorOf(event: APIGatewayProxyEventV2): Actor {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer?.jwt?.claims;
  const subject = claims?.sub;
  return typeof subject === 'string' ? { type: 'user', id: subject } : { type: 'anonymous' };
}

export type Implementations = Record<string, OperationImplementation>;

/**
 * One Lambda per route family. Middleware first, handler last: header normalizing,
 * logging context, then the family's extra middleware (idempotency), with errors
 * turned into problem+json in exactly one place.
 */
export function createApiHandler(
  operations: readonly ApiOperation[],
  implementations: Implementations,
  extraMiddleware: middy.MiddlewareObj[] = [],
) {
  const byRoute = new Map(operations.map((operation) => [operation.routeKey, operation]));

  const route = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const operation = byRoute.get(event.routeKey);
    const implementation = operation && implementations[operation.operationId];
    if (!operation || !implementation) throw new Error(`No operation for route ${event.routeKey}`);
    const { params, query, body } = parseRequest(operation, event);
    const expectedVersion = operation.conditional ? versionFromIfMatch(event.headers?.['if-match']) : undefined;
    const result = await implementation({ params, query, body, actor: actorOf(event), ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
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
    .use({
      onError: async (request) => {
        request.response = problemResponse(request.error, request.event);
      },
    });
  for (const middleware of extraMiddleware) handler.use(middleware);
  return handler.handler(route);
}
