import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateway, type Gateway, type GatewayFunction } from '../../local/gateway';
import { DOWNLOAD_BYTES } from '../support/fixtures/binary-download';

const fixtures = {
  echo: { entry: 'echo-event.ts', routes: ['GET /items/{id}', 'GET /items/latest', 'POST /items', 'ANY /files/{path+}'], memoryMb: 256, timeoutSeconds: 5 },
  download: { entry: 'binary-download.ts', routes: ['GET /download'], memoryMb: 128, timeoutSeconds: 5 },
  throwing: { entry: 'throwing.ts', routes: ['GET /throwing'], memoryMb: 128, timeoutSeconds: 5 },
  malformed: { entry: 'malformed-response.ts', routes: ['GET /malformed'], memoryMb: 128, timeoutSeconds: 5 },
  slow: { entry: 'outlives-timeout.ts', routes: ['GET /slow'], memoryMb: 128, timeoutSeconds: 0.2 },
} satisfies Record<string, GatewayFunction>;

interface EchoBody {
  event: APIGatewayProxyEventV2;
  context: { functionName: string; awsRequestId: string; memoryLimitInMB: string; invokedFunctionArn: string; remainingTimeInMillis: number };
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let gateway: Gateway;

/** node:http rather than fetch: it can repeat a header and declare a length it never sends. */
function send(method: string, path: string, { headers = {}, body }: { headers?: OutgoingHttpHeaders; body?: Buffer | string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(new URL(path, gateway.url), { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

async function echo(method: string, path: string, options?: Parameters<typeof send>[2]): Promise<EchoBody> {
  const response = await send(method, path, options);
  expect(response.status).toBe(200);
  return JSON.parse(response.body.toString('utf8')) as EchoBody;
}

beforeAll(async () => {
  gateway = await startGateway({ port: 0, functions: fixtures, rootDir: fileURLToPath(new URL('../support/fixtures/', import.meta.url)) });
});

afterAll(() => gateway.close());

describe('the event handed to the handler', () => {
  it('carries the route, decoded path parameters and query strings', async () => {
    const { event } = await echo('GET', '/items/a%20b%2Fc?tag=x&tag=y&q=hello+world%21');

    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /items/{id}',
      rawPath: '/items/a%20b%2Fc',
      rawQueryString: 'tag=x&tag=y&q=hello+world%21',
      pathParameters: { id: 'a b/c' },
      queryStringParameters: { tag: 'x,y', q: 'hello world!' },
      isBase64Encoded: false,
    });
    expect(event.requestContext).toMatchObject({
      routeKey: 'GET /items/{id}',
      stage: '$default',
      http: { method: 'GET', path: '/items/a%20b%2Fc', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
    });
    expect(event.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(event.body).toBeUndefined();
  });

  it('lower-cases headers, joins repeated ones with commas and moves cookies out of them', async () => {
    const { event } = await echo('GET', '/items/1', {
      // An array value goes out as one header line per value.
      headers: { 'X-Trace-Tag': ['a', 'b'], 'User-Agent': 'gateway-test', Cookie: ['session=abc; theme=dark', 'lang=en'] },
    });

    expect(event.headers).toMatchObject({ 'x-trace-tag': 'a,b', 'user-agent': 'gateway-test', 'x-forwarded-proto': 'http' });
    expect(event.headers.cookie).toBeUndefined();
    expect(event.cookies).toEqual(['session=abc', 'theme=dark', 'lang=en']);
    expect(event.requestContext.http.userAgent).toBe('gateway-test');
  });

  it('leaves out cookies, query and path parameters when the request has none', async () => {
    const { event } = await echo('POST', '/items');

    expect(event).not.toHaveProperty('cookies');
    expect(event).not.toHaveProperty('queryStringParameters');
    expect(event).not.toHaveProperty('pathParameters');
  });

  it('passes a JSON body as text and a binary body base64-encoded', async () => {
    const json = await echo('POST', '/items', { headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"name":"Ada"}' });
    const binary = await echo('POST', '/items', { headers: { 'content-type': 'image/png' }, body: Buffer.from([0x89, 0x50, 0x00, 0xff]) });

    expect(json.event).toMatchObject({ body: '{"name":"Ada"}', isBase64Encoded: false });
    expect(binary.event).toMatchObject({ body: Buffer.from([0x89, 0x50, 0x00, 0xff]).toString('base64'), isBase64Encoded: true });
  });

  it('prefers the most specific route, whatever the order they are listed in', async () => {
    const { event } = await echo('GET', '/items/latest');

    expect(event.routeKey).toBe('GET /items/latest');
    expect(event).not.toHaveProperty('pathParameters');
  });

  it('matches a greedy parameter across segments and ANY for every method', async () => {
    const { event } = await echo('DELETE', '/files/reports/2024/q1.pdf');

    expect(event.routeKey).toBe('ANY /files/{path+}');
    expect(event.pathParameters).toEqual({ path: 'reports/2024/q1.pdf' });
  });

  it('gives every request a fresh id, echoed in the apigw-requestid header', async () => {
    const first = await send('GET', '/items/1');
    const second = await send('GET', '/items/1');
    const firstEvent = (JSON.parse(first.body.toString('utf8')) as EchoBody).event;

    expect(firstEvent.requestContext.requestId).toBe(first.headers['apigw-requestid']);
    expect(second.headers['apigw-requestid']).not.toBe(first.headers['apigw-requestid']);
  });

  it('invokes with a Lambda context named after the function, counting down from its timeout', async () => {
    const { context } = await echo('GET', '/items/1');

    expect(context).toMatchObject({ functionName: 'echo', memoryLimitInMB: '256' });
    expect(context.invokedFunctionArn).toMatch(/^arn:aws:lambda:[\w-]+:\d{12}:function:echo$/);
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.remainingTimeInMillis).toBeGreaterThan(4_000);
    expect(context.remainingTimeInMillis).toBeLessThanOrEqual(5_000);
  });
});

describe('the response sent to the client', () => {
  it('sends a plain object as a 200 JSON body', async () => {
    const response = await send('GET', '/items/1');

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
  });

  it('maps a structured result: status, headers, cookies and a base64 body', async () => {
    const response = await send('GET', '/download');

    expect(response.status).toBe(201);
    expect(response.headers).toMatchObject({ 'content-type': 'application/octet-stream', 'x-attempt': '1', 'content-length': '4' });
    expect(response.headers['set-cookie']).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark']);
    expect(response.body).toEqual(DOWNLOAD_BYTES);
  });
});

describe('answers API Gateway gives on its own', () => {
  it('404 for a path or method no route has', async () => {
    const unknownPath = await send('GET', '/nowhere');
    const unknownMethod = await send('PUT', '/items');

    for (const response of [unknownPath, unknownMethod]) {
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body.toString('utf8'))).toEqual({ message: 'Not Found' });
      expect(response.headers['apigw-requestid']).toBeTruthy();
    }
  });

  it('500 without details when the handler throws, returns a malformed result or times out', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});

    const responses = await Promise.all([send('GET', '/throwing'), send('GET', '/malformed'), send('GET', '/slow')]);

    for (const response of responses) {
      expect(response.status).toBe(500);
      expect(JSON.parse(response.body.toString('utf8'))).toEqual({ message: 'Internal Server Error' });
    }
    expect(logged).toHaveBeenCalledTimes(3);
    logged.mockRestore();
  });

  it('413 for a body over 10 MB, declared up front', async () => {
    // The declared length alone is refused: nothing near 10 MB is ever sent.
    const response = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(new URL('/items', gateway.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': 10 * 1024 * 1024 + 1 },
      });
      request.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        request.destroy();
      });
      request.on('error', reject);
      request.write('{');
    });

    expect(response).toBe(413);
  });

  it('413 for a streamed body that grows past 10 MB', async () => {
    const response = await send('POST', '/items', {
      headers: { 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1),
    });

    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({ message: 'Request Entity Too Large' });
  });
});
