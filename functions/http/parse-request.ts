import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type * as z from '../../domain/shared/zod';
import { ValidationError } from '../../domain/shared/errors';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from './http-errors';
import { zodIssues } from '../../domain/shared/zod-issues';
import type { ApiOperation } from './api-operation';

export const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The first string in `value` that is not well-formed Unicode (a lone UTF-16 surrogate,
 * which JSON allows as \ud800), by its path. Stored, such text becomes six bytes of
 * escaped JSON per character wherever it is sent back: it has no place in a CRM.
 */
function malformedText(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path;
  if (Array.isArray(value)) return value.map((entry, index) => malformedText(entry, `${path}.${index}`)).find(Boolean);
  if (value && typeof value === 'object') {
    for (const [key, entry] of Object.entries(value)) {
      // A malformed key is named with U+FFFD in its place: the answer sends no ill-formed text back.
      const found = key.isWellFormed() ? malformedText(entry, `${path}.${key}`) : `${path}.${key.toWellFormed()}`;
      if (found) return found;
    }
  }
  return undefined;
}

function parse<T>(schema: z.ZodMiniType<T> | undefined, value: unknown, where: string): T | undefined {
  if (!schema) return undefined;
  const malformed = malformedText(value, where);
  if (malformed) throw new ValidationError(`${malformed} is not well-formed Unicode text.`, [{ field: malformed, message: 'contains a lone UTF-16 surrogate; send well-formed text' }]);
  const result = schema.safeParse(value);
  if (!result.success) throw zodIssues(result.error, where);
  return result.data;
}

function jsonBody(event: RequestParts, optional: boolean): unknown {
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
  if (text.trim() === '' && optional) return {};
  if (text.trim() === '') throw new ValidationError('This request needs a JSON body.', [{ field: 'body', message: 'required' }]);
  const contentType = event.headers?.['content-type'] ?? '';
  if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(contentType)) throw new UnsupportedMediaTypeError();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ValidationError(`The body is not valid JSON: ${(error as Error).message}`, [{ field: 'body', message: 'malformed JSON' }]);
  }
}

/** What parsing reads of a request: API Gateway's event has these, and so does an internal read-back. */
export type RequestParts = Pick<APIGatewayProxyEventV2, 'pathParameters' | 'queryStringParameters' | 'body' | 'isBase64Encoded' | 'headers'>;

/** The one validation path for requests: path parameters, query string and body, each through its zod schema. */
export function parseRequest(operation: ApiOperation, request: RequestParts) {
  return {
    params: parse(operation.pathParams, request.pathParameters ?? {}, 'path') ?? {},
    query: parse(operation.query, request.queryStringParameters ?? {}, 'query') ?? {},
    body: operation.body ? parse(operation.body, jsonBody(request, operation.bodyOptional === true), 'body') : undefined,
  };
}
