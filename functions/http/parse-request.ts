import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { z } from 'zod';
import { ValidationError } from '../../domain/shared/errors';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './http-errors';
import { zodIssues } from '../../domain/shared/zod-issues';
import type { ApiOperation } from './api-operation';

export const MAX_BODY_BYTES = 1024 * 1024;

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T | undefined {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (!result.success) throw zodIssues(result.error, where);
  return result.data;
}

function jsonBody(event: APIGatewayProxyEventV2): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  if (text.trim() === '') throw new ValidationError('This request needs a JSON body.', [{ field: 'body', message: 'required' }]);
  const contentType = event.headers?.['content-type'] ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`The body is not valid JSON: ${(error as Error).message}`, [{ field: 'body', message: 'malformed JSON' }]);
  }
}

/** The one validation path for requests: path parameters, query string and body, each through its zod schema. */
export function parseRequest(operation: ApiOperation, event: APIGatewayProxyEventV2) {
  return {
    params: (parse(operation.pathParams, event.pathParameters ?? {}, 'path') ?? {}) as Record<string, string>,
    query: parse(operation.query, event.queryStringParameters ?? {}, 'query') ?? {},
    body: operation.body ? parse(operation.body, jsonBody(event), 'body') : undefined,
  };
}
