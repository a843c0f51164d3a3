import { createDocument, type ZodOpenApiPathsObject, type ZodOpenApiResponsesObject } from 'zod-openapi';
import * as z from '../../domain/shared/zod';
import type { ApiOperation, SuccessResponse } from './api-operation';
import { REPLAYED_HEADER } from './api-core';
import { problemSchemas } from './problem-schemas';
import { PROBLEM_CONTENT_TYPE } from './problem-details';
import { problemTypes, type ErrorCode } from './problem-types';

/**
 * API Gateway answers some requests itself, before any Lambda runs, with a body of its
 * own that cannot be changed on an HTTP API: its JWT authorizer's 401, throttling (429),
 * a body over its 10 MB limit (413), and a Lambda that failed or timed out (500, 503).
 */
const gatewayMessage = z
  .object({ message: z.string().check(z.meta({ examples: ['Unauthorized'] })) })
  .check(z.meta({ id: 'GatewayMessage', description: 'An answer of API Gateway itself (not of the CRM): only a message.' }));

const SCOPES = {
  read: 'crm/read',
  write: 'crm/write',
  admin: 'crm/admin',
} as const;

/** The scope (and for users, the role) an operation needs, for its security requirement. */
function scopeOf(operation: ApiOperation): string {
  if (operation.adminOnly) return SCOPES.admin;
  return isWrite(operation) ? SCOPES.write : SCOPES.read;
}

const isWrite = (operation: ApiOperation) => operation.writes === true || !operation.routeKey.startsWith('GET ');
const listsPages = (operation: ApiOperation) => operation.query instanceof z.ZodMiniObject && 'cursor' in operation.query.shape;

/** The problem types each operation can answer with, by what it does (and what it names in `problems`). */
function problemCodesOf(operation: ApiOperation): ErrorCode[] {
  const codes: ErrorCode[] = ['validation-failed', 'forbidden', 'unauthorized'];
  if (listsPages(operation) || operation.query) codes.push('invalid-cursor');
  if (operation.pathParams || isWrite(operation)) codes.push('not-found');
  if (operation.body) codes.push('payload-too-large', 'unsupported-media-type', 'record-too-large');
  if (isWrite(operation)) codes.push('unique-value-taken', 'conflict', 'already-exists', 'write-contention', 'email-not-sendable', 'service-unavailable');
  if (operation.conditional) codes.push('precondition-failed');
  if (operation.idempotent) codes.push('request-in-progress', 'idempotency-key-reused');
  return codes;
}

const gatewayStatuses: Record<number, string> = {
  401: 'No valid bearer token (API Gateway\'s JWT authorizer answers this, as `{"message":"Unauthorized"}`)',
  413: "The body is over 1 MB (problem), or over API Gateway's 10 MB limit (its own message)",
  429: 'Throttled by API Gateway (the stage allows a burst of 200 and 100 requests per second by default)',
  500: 'An error on our side; nothing about it is exposed. Quote the requestId.',
  503: "A service the request needs is unavailable, or the Lambda was throttled or timed out (API Gateway's message)",
};

const statusDescriptions: Record<number, string> = {
  400: 'The request is not valid: `errors` names each field (`body.email`, `query.limit`, `path.id`)',
  403: 'The caller may not do this: `required` says what is missing (a role, a scope, or ownership)',
  404: 'No such record (or resource)',
  409: 'A conflict: a unique value in use (`existingId` names the holder), a concurrent request with the same Idempotency-Key, or a state that forbids the change',
  412: 'If-Match names none of the versions the record is at: `currentVersion` is its ETag now',
  415: 'The body is not JSON',
  422: 'The Idempotency-Key was used with a different body, or the email cannot be sent',
};

function errorResponses(operation: ApiOperation): ZodOpenApiResponsesObject {
  const { variants: problemVariants, withStatus: problemsWithStatus } = problemSchemas();
  const codes = new Set(problemCodesOf(operation));
  const byStatus = new Map<number, z.ZodMiniType[]>();
  for (const code of codes) {
    const variant = problemVariants[code];
    const status = problemTypes[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), variant]);
  }
  const responses: ZodOpenApiResponsesObject = {};
  const statuses = new Set([...byStatus.keys(), 401, 429, 500, 503]);
  for (const status of [...statuses].sort()) {
    const problems = status === 500 ? problemsWithStatus(500).filter((schema) => schema !== problemVariants['batch-item-failed']) : (byStatus.get(status) ?? []);
    const viaGateway = status in gatewayStatuses;
    const content: Record<string, { schema: z.ZodMiniType }> = {};
    if (problems.length > 0 && !(status === 401))
      content[PROBLEM_CONTENT_TYPE] = { schema: problems.length === 1 ? problems[0]! : z.union(problems as [z.ZodMiniType, z.ZodMiniType, ...z.ZodMiniType[]]) };
    if (viaGateway) content['application/json'] = { schema: gatewayMessage };
    responses[String(status) as `${1 | 2 | 3 | 4 | 5}${string}`] = { description: gatewayStatuses[status] ?? statusDescriptions[status] ?? 'Error', content };
  }
  return responses;
}

function successHeaders(operation: ApiOperation) {
  const shape: Record<string, z.ZodMiniType> = {};
  if (operation.success.etag) shape.etag = z.string().check(z.meta({ description: 'The version, for If-Match: `"7"`.', examples: ['"1"'] }));
  if (operation.success.location) shape.location = z.string().check(z.meta({ description: 'Where the created resource lives.' }));
  if (operation.idempotent)
    shape[REPLAYED_HEADER] = z.optional(z.literal('true')).check(z.meta({ description: 'Present on the answer to a repeated Idempotency-Key: the first status, the resource as it is now.' }));
  Object.assign(shape, declaredHeaderShape(operation.success));
  return Object.keys(shape).length > 0 ? { headers: z.object(shape) } : {};
}

/** The headers an answer declares of its own (SuccessResponse.headers), as schemas. */
const declaredHeaderShape = (response: SuccessResponse): Record<string, z.ZodMiniType> =>
  Object.fromEntries(Object.entries(response.headers ?? {}).map(([name, description]) => [name, z.string().check(z.meta({ description: description as string }))]));

function declaredHeaders(response: SuccessResponse): { headers?: z.ZodMiniObject } {
  const shape = declaredHeaderShape(response);
  return Object.keys(shape).length > 0 ? { headers: z.object(shape) } : {};
}

type ResponseObject = { description: string; content?: Record<string, { schema: z.ZodMiniType }>; headers?: z.ZodMiniObject };

/** Merges answers of one status: their content types side by side, their descriptions joined. */
function merge(into: Record<string, ResponseObject>, status: number, response: ResponseObject): void {
  const existing = into[status];
  into[status] = existing ? { ...existing, description: `${existing.description}; or: ${response.description}`, content: { ...existing.content, ...response.content } } : response;
}

/** Every answer an operation gives: its successes, its other answers, its problems and API Gateway's. */
function responsesOf(operation: ApiOperation): Record<string, ResponseObject> {
  const responses: Record<string, ResponseObject> = {};
  const success = operation.success;
  merge(responses, success.status, { description: success.description, ...content(success.schema, success.contentType), ...successHeaders(operation) });
  for (const other of operation.otherResponses ?? []) merge(responses, other.status, { description: other.description, ...content(other.schema, other.contentType), ...declaredHeaders(other) });
  if (operation.public) {
    // A public operation checks its parameters like any other; API Gateway may still throttle it or lose its function.
    if (operation.query || operation.pathParams)
      merge(responses, 400, { description: statusDescriptions[400]!, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchemas().variants['validation-failed'] } } });
    for (const status of [429, 500, 503])
      merge(responses, status, {
        description: gatewayStatuses[status]!,
        content: { 'application/json': { schema: gatewayMessage }, ...(status === 500 ? { [PROBLEM_CONTENT_TYPE]: { schema: problemSchemas().internalError } } : {}) },
      });
    return responses;
  }
  for (const [status, response] of Object.entries(errorResponses(operation))) merge(responses, Number(status), response as ResponseObject);
  return responses;
}

const content = (schema: z.ZodMiniType | undefined, contentType: string | readonly string[] = 'application/json') =>
  schema ? { content: Object.fromEntries([contentType].flat().map((type) => [type, { schema }])) } : {};

/**
 * OpenAPI 3.1, generated from the very zod schemas the handlers validate with: security
 * (bearer JWT, the scope each operation needs), every response an operation can give
 * (its own and API Gateway's), each problem type with its members, request examples.
 */
export function openApiDocument(operations: readonly ApiOperation[], version: string, serverUrl = '/') {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of operations) {
    const [method, path] = operation.routeKey.split(' ') as [string, string];
    const success = operation.success;
    const headers = [
      ...(operation.idempotent
        ? [
            {
              name: 'Idempotency-Key',
              in: 'header' as const,
              required: false,
              schema: { type: 'string' as const, maxLength: 255 },
              description: 'Run the request once: a retry with the same key gets the first answer (with `idempotent-replayed: true`); the same key with another body is a 422. Kept 24 hours.',
            },
          ]
        : []),
      ...(operation.conditional
        ? [
            {
              name: 'If-Match',
              in: 'header' as const,
              required: false,
              schema: { type: 'string' as const },
              description: 'The ETag (or a list of ETags) of the version you changed; any other version is a 412.',
            },
          ]
        : []),
    ];
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      ...(operation.description ? { description: operation.description } : {}),
      tags: [operation.tag],
      security: operation.public ? [] : [{ bearerAuth: [scopeOf(operation)] }],
      requestParams: {
        ...(operation.pathParams ? { path: operation.pathParams } : {}),
        ...(operation.query ? { query: operation.query as unknown as z.ZodMiniObject } : {}),
      },
      ...(headers.length > 0 ? { parameters: headers } : {}),
      ...(operation.body
        ? { requestBody: { required: operation.bodyOptional !== true, content: { 'application/json': { schema: operation.body, ...(operation.bodyExample !== undefined ? { example: operation.bodyExample } : {}) } } } }
        : {}),
      responses: responsesOf(operation),
    };
  }
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'Serverless CRM API',
        version,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
        description: [
          'Contacts, companies, deals, activities, pipelines, custom properties, email and follow-up sequences.',
          '',
          "**Authentication**: a bearer JWT from the deployment's identity provider (Cognito or your OIDC issuer). Users act by the role their groups give (viewer, member, manager, admin); machine clients by scope: `crm/read`, `crm/write`, `crm/admin`.",
          '',
          '**Errors** are RFC 9457 `application/problem+json`; each problem type and its members is a schema below. API Gateway itself answers a missing or invalid token (401), throttling (429) and a failed or timed-out function (500, 503) with `{"message": …}`, and a path no route matches with 404 `{"message":"Not Found"}`.',
          '',
          '**Lists** are cursor-paginated: pass `nextCursor` as `cursor`. **Writes** take `If-Match` (ETags are versions) and POSTs an `Idempotency-Key`.',
        ].join('\n'),
      },
      servers: [{ url: serverUrl, description: 'This deployment' }],
      security: [{ bearerAuth: [] }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description:
              "An access or ID token of the deployment's issuer (the stack output `Issuer`). Machine clients use the client-credentials grant at `TokenEndpoint` with scopes crm/read, crm/write, crm/admin.",
          },
        },
      },
      paths,
    },
    {
      // Unions of problem types are exactly one of them (their `type` differs).
      override: ({ jsonSchema, zodSchema }) => {
        if (zodSchema._zod.def.type === 'union' && Array.isArray(jsonSchema.anyOf)) {
          jsonSchema.oneOf = jsonSchema.anyOf;
          delete jsonSchema.anyOf;
        }
      },
    },
  );
}
