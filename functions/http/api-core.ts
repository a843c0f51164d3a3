import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Actor } from '../../domain/shared/actor';
import type { SignedInUser } from '../../domain/owners/owners';
import { NotFoundError, UnauthorizedError } from '../../domain/shared/errors';
import { logger } from '../../adapters/logger';
import { metrics } from '../../adapters/metrics';
import { actorFromClaims, signedInUserOf } from './actor-from-claims';
import type { ApiOperation, ApiRequest, ApiResult, Implementations, OperationGroup } from './api-operation';
import { ifMatchOf } from './if-match';
import { callerOf, storedResponseOf, type IdempotencyGuard, type StoredResponse } from './idempotency';
import { parseRequest } from './parse-request';
import { problemResponse } from './problem-details';

export const REPLAYED_HEADER = 'idempotent-replayed';

export interface ApiCoreOptions {
  /** The JWT claim that holds a user's CRM roles. */
  readonly roleClaim: string;
  /** Idempotency-Key support for the group's operations that declare it. */
  readonly idempotency?: IdempotencyGuard;
  /** Notes signed-in users as owners (api-services.ts), for the functions that may write. */
  readonly owners?: { note(user: SignedInUser): Promise<void> };
}

/**
 * Requests, client errors and server errors of the whole API. Deliberately without a
 * route or function dimension: every distinct dimension set is a billed custom metric,
 * and three metrics keep an active deployment under a dollar a month. Per-route detail
 * is in API Gateway's access log (route, status and latency of every request).
 */
function countResponse(status: number): void {
  metrics.addMetric('Requests', MetricUnit.Count, 1);
  if (status >= 400) metrics.addMetric(status >= 500 ? 'ServerErrors' : 'ClientErrors', MetricUnit.Count, 1);
}

/** API Gateway lower-cases header names of HTTP APIs; a hand-made event may not. */
const headersOf = (event: APIGatewayProxyEventV2) => Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));

function toResponse(result: ApiResult): APIGatewayProxyStructuredResultV2 {
  const contentType: Record<string, string> = result.rawBody !== undefined ? {} : { 'content-type': 'application/json' };
  return {
    statusCode: result.status,
    headers: { ...contentType, ...result.headers },
    ...(result.rawBody !== undefined ? { body: result.rawBody } : result.body !== undefined ? { body: JSON.stringify(result.body) } : {}),
    ...(result.base64 ? { isBase64Encoded: true } : {}),
  };
}

/** `/v1/contacts/{id}` matches `/v1/contacts/01H…`: the template's parameters, or undefined. */
function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/');
  const have = path.split('/');
  if (want.length !== have.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, segment] of want.entries()) {
    const name = /^\{(\w+)\}$/.exec(segment)?.[1];
    if (name) params[name] = decodeURIComponent(have[index]!);
    else if (segment !== have[index]) return undefined;
  }
  return params;
}

/**
 * The API as a plain function from event to response: routing by the route key API
 * Gateway matched, authentication from the authorizer's claims, validation through the
 * operation's schemas, If-Match, Idempotency-Key, and errors turned into problem+json in
 * exactly one place. lambdaHandler (functions/lambda-handler.ts) wraps it for Lambda.
 */
export function apiCore<G extends OperationGroup>(group: G, implementations: Implementations<G>, options: ApiCoreOptions) {
  const byRoute = new Map(Object.entries(group).map(([name, operation]) => [operation.routeKey, { name, operation }]));
  const implementationOf = (name: string) => (implementations as Record<string, (request: ApiRequest) => Promise<ApiResult>>)[name]!;

  /** What a create's Location names, as its GET answers it now: how a replay shows what the first request made. */
  async function readBack(location: string, request: ApiRequest): Promise<ApiResult | undefined> {
    for (const { name, operation } of byRoute.values()) {
      const [method, template] = operation.routeKey.split(' ') as [string, string];
      const params = method === 'GET' ? matchPath(template, location) : undefined;
      if (!params) continue;
      const parsed = parseRequest(operation, { pathParameters: params, queryStringParameters: {}, headers: {}, isBase64Encoded: false });
      return implementationOf(name)({ ...request, ...parsed } as ApiRequest);
    }
    return undefined;
  }

  /** A replayed response: the first one's status and headers, the resource as it is now. */
  async function replay(stored: StoredResponse, request: ApiRequest): Promise<ApiResult> {
    const headers = { ...stored.headers, [REPLAYED_HEADER]: 'true' };
    if (stored.results) {
      const results = await Promise.all(
        stored.results.map(async (result) => {
          if (!result.location) return result.error ? { index: result.index, status: result.status, error: result.error } : { index: result.index, status: result.status };
          const current = await readBack(result.location, request).catch((error: unknown) => (error instanceof NotFoundError ? undefined : Promise.reject(error)));
          return { index: result.index, status: result.status, ...(current?.body ? { record: current.body } : {}) };
        }),
      );
      return { status: stored.status, headers, body: { results } };
    }
    const at = stored.headers.location ?? stored.headers['content-location'];
    if (!at) return { status: stored.status, headers };
    // The resource was deleted since: a 404 says so, rather than replaying a body it no longer has.
    const current = await readBack(at, request);
    return { status: stored.status, headers: { ...headers, ...current?.headers, ...(stored.headers.location ? { location: stored.headers.location } : { 'content-location': at }) }, body: current?.body };
  }

  return async (event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2> => {
    let response: APIGatewayProxyStructuredResultV2;
    try {
      const route = byRoute.get(event.routeKey);
      if (!route) throw new Error(`No operation for route ${event.routeKey}`);
      const { name, operation } = route;
      const headers = headersOf(event);
      // Authenticate before reading anything else, so an anonymous caller learns nothing from validation errors.
      const actor = operation.public ? undefined : actorFromClaims(event, options.roleClaim);
      if (actor?.type === 'user' && options.owners) {
        // Who may own records is who signs in: noting them must never cost the request.
        await options.owners.note(signedInUserOf(event, actor)).catch((error: unknown) => logger.warn('could not note the signed-in user as an owner', { error }));
      }
      logger.appendKeys({ route: event.routeKey, ...(actor ? { actor: { type: actor.type, id: actor.id, role: actor.role } } : {}) });
      const parsed = parseRequest(operation, { ...event, headers });
      const ifMatch = operation.conditional ? ifMatchOf(headers['if-match']) : undefined;
      const idempotencyKey = operation.idempotent ? headers['idempotency-key'] : undefined;
      const request = {
        ...parsed,
        get actor(): Actor {
          if (!actor) throw new UnauthorizedError();
          return actor;
        },
        remainingTimeMs: () => context.getRemainingTimeInMillis(),
        header: (name: string) => headers[name],
        ...(ifMatch !== undefined ? { ifMatch } : {}),
        ...(idempotencyKey ? { idempotencyKey } : {}),
      } as ApiRequest;
      const run = () => implementationOf(name)(request);
      const result =
        idempotencyKey && options.idempotency
          ? await options.idempotency.once(
              { caller: callerOf(event), target: [event.requestContext.http.method, event.rawPath], key: idempotencyKey, body: parsed.body ?? null },
              context,
              run,
              (result) => storedResponseOf(result, event.rawPath),
              (stored) => replay(stored, request),
            )
          : await run();
      response = toResponse(result);
    } catch (error) {
      response = problemResponse(error, event);
    }
    countResponse(response.statusCode ?? 200);
    return response;
  };
}

export type { ApiOperation };
