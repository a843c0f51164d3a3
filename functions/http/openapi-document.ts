import { createDocument, type ZodOpenApiPathsObject } from 'zod-openapi';
import type { ZodObject } from 'zod';
import type { ApiOperation } from './api-operation';
import { problemSchema } from './api-contract';

const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problemSchema } } });

/** OpenAPI 3.1, generated from the very zod schemas the handlers validate with. */
export function openApiDocument(operations: readonly ApiOperation[], version: string) {
  const paths: ZodOpenApiPathsObject = {};
  for (const operation of operations) {
    const [method, path] = operation.routeKey.split(' ') as [string, string];
    const success = operation.success;
    const headers = [
      ...(operation.idempotent ? [{ name: 'Idempotency-Key', in: 'header' as const, required: false, schema: { type: 'string' as const, maxLength: 255 }, description: 'Retries with the same key return the first response.' }] : []),
      ...(operation.conditional ? [{ name: 'If-Match', in: 'header' as const, required: false, schema: { type: 'string' as const }, description: 'ETag of the version you changed; 412 if it is stale.' }] : []),
    ];
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[method.toLowerCase()] = {
      operationId: operation.operationId,
      summary: operation.summary,
      tags: [operation.tag],
      ...(operation.public ? { security: [] } : {}),
      requestParams: {
        ...(operation.pathParams ? { path: operation.pathParams } : {}),
        ...(operation.query ? { query: operation.query as unknown as ZodObject } : {}),
      },
      ...(headers.length > 0 ? { parameters: headers } : {}),
      ...(operation.body ? { requestBody: { required: true, content: { 'application/json': { schema: operation.body } } } } : {}),
      responses: {
        [success.status]: {
          description: success.description,
          ...(success.schema ? { content: { [success.contentType ?? 'application/json']: { schema: success.schema } } } : {}),
        },
        ...(operation.public ? {} : { '4XX': problemResponse('Client error: invalid input (400), unknown id (404), conflict (409), stale If-Match (412), body over 1 MB (413)') }),
      },
    };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Serverless CRM API',
      version,
      description: 'Contacts, companies, deals, pipelines, activities and custom properties. Errors are RFC 9457 problem+json; lists are cursor-paginated.',
    },
    paths,
  });
}
