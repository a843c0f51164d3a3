import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { functionsTriggeredBy, isPublic, routeKeysOf, type FunctionDeclaration } from '../functions/manifest';
import { splitRequestTarget, toHttpApiEvent } from './http-api-event';
import { listen } from './http-server';
import { createRouter } from './http-api-routes';
import { toHttpResponse } from './http-api-response';
import { createLambdaContext } from './lambda-context';
import { createHandlerLoader, withTimeout } from './lambda-handlers';
import type { JwtAuthorizerContext, LocalJwtAuthorizer } from './local-jwt';

/**
 * A local stand-in for the deployed API Gateway HTTP API: it routes each request to
 * the handler module that serves it in `apiFunctions` and runs it in this process
 * with a payload format 2.0 event and a Lambda context. The handlers read their
 * configuration from the environment, which the caller sets (useLocalAwsEnvironment).
 */

export type GatewayFunction = Pick<FunctionDeclaration, 'entry' | 'memoryMb' | 'timeoutSeconds'> & { readonly routes: readonly string[]; readonly public?: boolean };

/** The deployed HTTP functions of functions/manifest.ts, with their route keys. */
export const deployedHttpFunctions = (): Record<string, GatewayFunction> =>
  Object.fromEntries(
    functionsTriggeredBy('http').map(([name, declaration]) => [
      name,
      { entry: declaration.entry, memoryMb: declaration.memoryMb, timeoutSeconds: declaration.timeoutSeconds, routes: routeKeysOf(declaration), public: isPublic(declaration) },
    ]),
  );

export interface GatewayOptions {
  /** 0 picks a free port. */
  port: number;
  /** Defaults to 127.0.0.1: the local API is not meant to be reachable from the network. */
  host?: string;
  /** Which function serves which routes; defaults to the deployed ones (functions/manifest.ts). */
  functions?: Readonly<Record<string, GatewayFunction>>;
  /** Folder the `entry` paths are relative to; defaults to the repository root. */
  rootDir?: string;
  /**
   * Plays API Gateway's JWT authorizer on every non-public route. Without one the
   * gateway forwards requests with no identity, and the handlers answer 401.
   */
  authorizer?: LocalJwtAuthorizer;
}

export interface Gateway {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** API Gateway's own request payload limit; the handlers enforce the app's smaller one. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Lambda's limit on a synchronous invocation's result; past it, API Gateway answers 500. */
const MAX_LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;
const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function startGateway({ port, host = '127.0.0.1', functions = deployedHttpFunctions(), rootDir = REPOSITORY_ROOT, authorizer }: GatewayOptions): Promise<Gateway> {
  const route = createRouter(
    Object.entries(functions).flatMap(([name, fn]) => fn.routes.map((routeKey) => ({ routeKey, target: { name, ...fn } }))),
  );
  const loadHandler = createHandlerLoader(rootDir);

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const receivedAt = new Date();
    const requestId = randomBytes(10).toString('base64'); // the shape of API Gateway's ids
    response.setHeader('apigw-requestid', requestId);
    const body = await readBody(request, MAX_REQUEST_BYTES);
    if (body === 'too-large') return sendMessage(response, 413, 'Request Entity Too Large');
    const match = route(request.method ?? 'GET', splitRequestTarget(request.url).rawPath);
    if (!match) return sendMessage(response, 404, 'Not Found');
    const fn = match.target;
    let identity: JwtAuthorizerContext | undefined;
    if (authorizer && !fn.public) {
      identity = await authorizer(request.headers.authorization);
      if (!identity) return sendMessage(response, 401, 'Unauthorized', { 'www-authenticate': 'Bearer' });
    }
    try {
      const handler = await loadHandler(fn.entry);
      const event = toHttpApiEvent({ request, body, routeKey: match.routeKey, pathParameters: match.pathParameters, requestId, receivedAt });
      if (identity) Object.assign(event.requestContext, { authorizer: { jwt: identity, principalId: '', integrationLatency: 0 } });
      // Created after the import: like Lambda's, the invocation clock starts once the module is initialised.
      const context = createLambdaContext({ functionName: fn.name, memoryMb: fn.memoryMb, timeoutSeconds: fn.timeoutSeconds });
      const result = await withTimeout(fn.timeoutSeconds, async () => handler(event, context));
      if (Buffer.byteLength(JSON.stringify(result) ?? '') > MAX_LAMBDA_RESPONSE_BYTES) {
        throw new Error(`Response payload size exceeded maximum allowed payload size (${MAX_LAMBDA_RESPONSE_BYTES} bytes)`);
      }
      const { statusCode, headers, body: responseBody } = toHttpResponse(result);
      writeResponse(response, statusCode, headers, responseBody);
    } catch (error) {
      console.error(`[gateway] ${fn.name} failed on ${match.routeKey} (request ${requestId}):`, error);
      sendMessage(response, 500, 'Internal Server Error');
    }
  }

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      console.error('[gateway] request failed:', error);
      if (!response.headersSent) sendMessage(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  });
  return listen(server, port, host);
}

/**
 * The whole body, or 'too-large' as soon as it passes `limit`. The rest of an
 * oversized body is still read and dropped, so the client gets to see the 413
 * instead of a connection reset mid-upload.
 */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  return new Promise((resolveBody, reject) => {
    if (Number(request.headers['content-length'] ?? 0) > limit) {
      request.resume();
      return resolveBody('too-large');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      request.off('data', keep).resume();
      resolveBody('too-large');
    };
    request.on('data', keep);
    request.once('end', () => resolveBody(Buffer.concat(chunks)));
    request.once('error', reject);
  });
}

function sendMessage(response: ServerResponse, statusCode: number, message: string, headers: Record<string, string> = {}): void {
  writeResponse(response, statusCode, { 'content-type': 'application/json', ...headers }, Buffer.from(JSON.stringify({ message })));
}

/** Headers set one by one, not via writeHead, so Node still adds content-length (and omits it on a 204) as API Gateway does. */
function writeResponse(response: ServerResponse, statusCode: number, headers: Record<string, string | string[]>, body: Buffer): void {
  response.statusCode = statusCode;
  for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
  response.end(body);
}
