import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/**
 * Builds the event API Gateway HTTP APIs send a Lambda with payload format 2.0,
 * field by field as the service does, so handlers meet locally what they meet deployed.
 */

export interface ReceivedRequest {
  request: IncomingMessage;
  body: Buffer;
  routeKey: string;
  pathParameters?: Record<string, string>;
  requestId: string;
  receivedAt: Date;
}

/** The placeholder account every local ARN and request context uses. */
export const LOCAL_ACCOUNT_ID = '000000000000';

export function splitRequestTarget(url: string | undefined): { rawPath: string; rawQueryString: string } {
  const target = url ?? '/';
  const queryStart = target.indexOf('?');
  return queryStart === -1
    ? { rawPath: target, rawQueryString: '' }
    : { rawPath: target.slice(0, queryStart), rawQueryString: target.slice(queryStart + 1) };
}

export function toHttpApiEvent({ request, body, routeKey, pathParameters, requestId, receivedAt }: ReceivedRequest): APIGatewayProxyEventV2 {
  const { rawPath, rawQueryString } = splitRequestTarget(request.url);
  const headers = gatewayHeaders(request);
  const cookies = requestCookies(request);
  const queryStringParameters = queryParameters(rawQueryString);
  // The Host header, port included, so links a handler builds from it work locally.
  const domainName = headers.host ?? 'localhost';
  const textual = isTextual(headers['content-type']);
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: 'local',
      domainName,
      domainPrefix: domainName.split(':')[0]!.split('.')[0]!,
      http: {
        method: request.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: sourceIp(request),
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: formatRequestTime(receivedAt),
      timeEpoch: receivedAt.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString(textual ? 'utf8' : 'base64') } : {}),
    ...(pathParameters ? { pathParameters } : {}),
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/**
 * Lower-cased names, repeated headers joined with commas, the Cookie header moved to
 * `cookies`, and the headers API Gateway adds in front of every integration.
 */
function gatewayHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(request.headersDistinct)) {
    if (name !== 'cookie' && values) headers[name] = values.join(',');
  }
  const clientIp = sourceIp(request);
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${clientIp}` : clientIp;
  headers['x-forwarded-port'] = String(request.socket.localPort);
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
  return headers;
}

function requestCookies(request: IncomingMessage): string[] {
  return (request.headersDistinct.cookie ?? [])
    .flatMap((header) => header.split(';'))
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
}

/** Decoded like a form (`+` is a space); repeated names joined with commas; undefined when there are none. */
function queryParameters(rawQueryString: string): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = name in parameters ? `${parameters[name]},${value}` : value;
  }
  return Object.keys(parameters).length > 0 ? parameters : undefined;
}

/**
 * Bodies of these types reach the handler as text; anything else (images, PDFs, but
 * also form posts and bodies without a content type) arrives base64-encoded.
 */
function isTextual(contentType: string | undefined): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!mediaType) return false;
  return (
    mediaType.startsWith('text/') ||
    ['application/json', 'application/xml', 'application/javascript'].includes(mediaType) ||
    mediaType.endsWith('+json') ||
    mediaType.endsWith('+xml')
  );
}

function sourceIp(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The CLF-style `requestContext.time`, e.g. `12/Mar/2020:19:03:58 +0000`. */
function formatRequestTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}
