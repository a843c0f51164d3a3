import { validateHeaderName, validateHeaderValue } from 'node:http';

/**
 * How API Gateway turns a Lambda result into an HTTP response with payload format
 * 2.0: an object with a `statusCode` is a structured response; any other value is
 * the JSON body of a 200. 2.0 has no `multiValueHeaders`: repeated values are
 * comma-joined in `headers`, and cookies go in `cookies`.
 */

export interface HttpResponse {
  statusCode: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** The result does not fit the 2.0 response format; API Gateway answers 500 to such results. */
export class MalformedLambdaResponseError extends Error {
  constructor(problem: string) {
    super(`Malformed Lambda proxy response: ${problem}`);
    this.name = 'MalformedLambdaResponseError';
  }
}

export function toHttpResponse(result: unknown): HttpResponse {
  if (typeof result !== 'object' || result === null || !('statusCode' in result)) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      // A handler that returns nothing hands Lambda `null`.
      body: Buffer.from(JSON.stringify(result ?? null)),
    };
  }
  return structuredResponse(result as Record<string, unknown>);
}

function structuredResponse({ statusCode, headers, cookies, body, isBase64Encoded }: Record<string, unknown>): HttpResponse {
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedLambdaResponseError(`statusCode must be an HTTP status, got ${JSON.stringify(statusCode)}`);
  }
  if (body !== undefined && typeof body !== 'string') throw new MalformedLambdaResponseError('body must be a string');
  const responseHeaders: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headerValues(headers))) responseHeaders[name.toLowerCase()] = value;
  const setCookies = cookieValues(cookies);
  if (setCookies.length > 0) responseHeaders['set-cookie'] = [...[responseHeaders['set-cookie'] ?? []].flat(), ...setCookies];
  return {
    statusCode,
    headers: responseHeaders,
    body: Buffer.from(body ?? '', isBase64Encoded === true ? 'base64' : 'utf8'),
  };
}

function headerValues(headers: unknown): Record<string, string> {
  if (headers === undefined) return {};
  if (typeof headers !== 'object' || headers === null) throw new MalformedLambdaResponseError('headers must be an object');
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new MalformedLambdaResponseError(`header "${name}" must be a string, number or boolean`);
    }
    try {
      validateHeaderName(name);
      validateHeaderValue(name, String(value));
    } catch (error) {
      throw new MalformedLambdaResponseError(`header "${name}": ${(error as Error).message}`);
    }
    values[name] = String(value);
  }
  return values;
}

function cookieValues(cookies: unknown): string[] {
  if (cookies === undefined) return [];
  if (!Array.isArray(cookies) || !cookies.every((cookie) => typeof cookie === 'string')) {
    throw new MalformedLambdaResponseError('cookies must be an array of strings');
  }
  return cookies;
}
