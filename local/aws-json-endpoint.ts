import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listen, readAll } from './http-server';

/**
 * A local endpoint for an AWS service the SDK speaks the AWS JSON protocol with (`POST /`,
 * `X-Amz-Target: <prefix>.<Operation>`; the signature is not checked), as the local Step
 * Functions and EventBridge play them. A ServiceError becomes the 400 `{"__type", "message"}`
 * the SDK throws as the exception of that name. `GET` requests go to `inspect`, for what a
 * developer may look at locally and the service does not offer.
 */

export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

export type AwsJsonOperations = Record<string, (request: Record<string, unknown>) => unknown>;

export interface AwsJsonEndpointOptions {
  /** `AWSStepFunctions`, `AWSEvents`. */
  readonly targetPrefix: string;
  /** `1.0` or `1.1`, as the service's content type says. */
  readonly protocolVersion: '1.0' | '1.1';
  readonly operations: AwsJsonOperations;
  /** Answers local-only GET requests (path and query): JSON, or undefined for a 404. */
  readonly inspect?: (url: URL) => unknown;
  /** Names the log lines of requests that failed unexpectedly: `[states]`. */
  readonly logTag: string;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly host?: string;
}

export interface AwsJsonEndpoint {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startAwsJsonEndpoint({ targetPrefix, protocolVersion, operations, inspect, logTag, port = 0, host = '127.0.0.1' }: AwsJsonEndpointOptions): Promise<AwsJsonEndpoint> {
  const contentType = `application/x-amz-json-${protocolVersion}`;

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readAll(request);
    if (request.method === 'GET' && inspect) {
      const answer = inspect(new URL(request.url ?? '/', 'http://local'));
      return send(response, answer === undefined ? 404 : 200, answer ?? { message: 'Not Found' }, 'application/json');
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(`${targetPrefix}.`) ? operations[target.slice(targetPrefix.length + 1)] : undefined;
    try {
      if (request.method !== 'POST' || !operation) throw new ServiceError('UnknownOperationException', `Unknown operation ${target || `${request.method} ${request.url}`}`);
      let parsed: unknown;
      try {
        parsed = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
      } catch {
        throw new ServiceError('SerializationException', 'The request body is not JSON');
      }
      send(response, 200, operation(parsed as Record<string, unknown>), contentType);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      send(response, 400, { __type: error.code, message: error.message }, contentType);
    }
  }

  const server = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      console.error(`${logTag} request failed:`, error);
      if (!response.headersSent) send(response, 500, { __type: 'InternalFailure', message: 'Internal failure' }, contentType);
      else response.destroy();
    });
  });
  const listening = await listen(server, port, host);
  return { endpoint: listening.url, port: listening.port, close: listening.close };
}

function send(response: ServerResponse, statusCode: number, body: unknown, contentType: string): void {
  const json = Buffer.from(JSON.stringify(body));
  response.writeHead(statusCode, { 'content-type': contentType, 'content-length': json.length, 'x-amzn-requestid': randomUUID() });
  response.end(json);
}
