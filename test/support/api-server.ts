import { inject } from 'vitest';
import { startGateway } from '../../local/gateway';
import { createLocalJwtAuthorizer, createSigningKey, mintToken, type TokenOptions, type TokenSubject } from '../../local/local-jwt';
import { useLocalAwsEnvironment } from '../../local/local-environment';
import { localStateMachines } from '../../local/local-state-machines';
import { startStepFunctionsLocal, type ExecutionDescription } from '../../local/step-functions-local';
import type { StreamPoller } from '../../local/stream-poller';
import type { LocalScheduler } from '../../local/scheduler-local';
import { startBackgroundWork } from '../../local/background-work';
import { startEventBridgeLocal, type EventBridgeLocal } from '../../local/eventbridge-local';
import { startSqsLocal, type SqsLocal } from '../../local/sqs-local';
import { LOCAL_EXPORT_BUCKET, LOCAL_INBOUND_MAIL_BUCKET, startS3Local } from '../../local/s3-local';
import { LOCAL_INBOUND_DOMAIN, startSmtpLocal } from '../../local/smtp-local';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestTable, type TestTable } from './local-dynamodb';
import { responseViolations } from './openapi-responses';

export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when the response says it is JSON (including problem+json). */
  json: T | undefined;
}

export interface RequestOptions {
  /** A string is sent as is; anything else as JSON with content-type application/json. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Who sends the request; by default an admin user. `anonymous` sends no token. */
  as?: TokenSubject | 'anonymous';
}

export const testAdmin: TokenSubject = { kind: 'user', id: 'test-admin', role: 'admin' };

export interface TestApi {
  url: string;
  /** The file's own table, for arranging data and checking what the API stored. */
  table: TestTable;
  request<T = unknown>(method: string, path: string, options?: RequestOptions): Promise<ApiResponse<T>>;
  /** POST /v1/<collection> as the test admin, expecting 201: the record created. */
  create<T extends { id: string } = Record<string, any> & { id: string }>(collection: string, body: Record<string, unknown>): Promise<T>;
  /** Adds users as owners (PUT /v1/owners/{id}), so records may be assigned to them before they sign in. */
  addOwners(...ids: string[]): Promise<void>;
  /** A bearer token for the subject, signed with this API's key (valid unless the options say otherwise). */
  tokenFor(subject: TokenSubject, options?: TokenOptions): Promise<string>;
  /** With `automations`: the stream consumers, Step Functions and SES events, as `npm start` runs them. */
  automations?: { readonly streams: StreamPoller; readonly endedExecutions: ExecutionDescription[]; readonly eventBridge: EventBridgeLocal; readonly scheduler: LocalScheduler; readonly queues: SqsLocal; readonly smtpPort: number };
  close(): Promise<void>;
}

export interface TestApiOptions {
  /**
   * Also run what happens after a request: the table's stream consumers, the local Step
   * Functions endpoint (waits and retry pauses capped at 0 s) and SES events through the
   * local event bus. Off by default: most files test requests only, and stay fast.
   */
  readonly automations?: boolean;
  /** With `automations`: the cap on Step Functions waits and retry pauses, in seconds (default 0: none). */
  readonly maxWaitSeconds?: number;
  /**
   * Whether the table has a stream: with `automations`, or for pollStream (stream-consumers.ts).
   * Off by default otherwise, as a file that reads no stream needs none (local/create-table.ts says why it matters).
   */
  readonly streams?: boolean;
}

/**
 * The real handlers behind the local gateway, on a table of their own. Call it once
 * per test file (in beforeAll): handler modules read and cache their configuration
 * (adapters/config.ts) when first imported, so a second table in the same file would
 * not be seen. Across files this is safe because vitest gives every test file its own
 * module graph (pool 'forks', isolate true by default), so each file's handlers load
 * afresh with that file's TABLE_NAME.
 */
export async function startTestApi({ automations = false, maxWaitSeconds = 0, streams: withStream = automations }: TestApiOptions = {}): Promise<TestApi> {
  const table = await createTestTable({ streams: withStream });
  const endedExecutions: ExecutionDescription[] = [];
  const stepFunctions = automations ? await startStepFunctionsLocal({ stateMachines: localStateMachines(), maxWaitSeconds, onExecutionEnd: (execution) => void endedExecutions.push(execution) }) : undefined;
  const eventBridge = automations ? await startEventBridgeLocal({}) : undefined;
  const queues = automations ? await startSqsLocal({ maxWaitSeconds }) : undefined;
  const s3 = automations ? await startS3Local({ directory: mkdtempSync(join(tmpdir(), 'crm-test-s3-')) }) : undefined;
  useLocalAwsEnvironment({
    tableName: table.tableName,
    dynamodbEndpoint: table.endpoint,
    sesEndpoint: inject('sesEndpoint'),
    ...(stepFunctions ? { stepFunctionsEndpoint: stepFunctions.endpoint, maxWaitSeconds } : {}),
    ...(eventBridge ? { eventBridgeEndpoint: eventBridge.endpoint } : {}),
    ...(queues ? { sqs: queues } : {}),
    ...(s3 ? { inbound: { s3Endpoint: s3.endpoint, domain: LOCAL_INBOUND_DOMAIN, bucket: LOCAL_INBOUND_MAIL_BUCKET }, exports: { s3Endpoint: s3.endpoint, bucket: LOCAL_EXPORT_BUCKET } } : {}),
  });
  const signingKey = await createSigningKey();
  const gateway = await startGateway({ port: 0, authorizer: await createLocalJwtAuthorizer(signingKey) });
  // Unsubscribe links point at this gateway. Set before anything loads (and caches) the config.
  process.env.PUBLIC_API_URL = gateway.url;
  const background: { stop(): Promise<void> }[] = [];
  let streams: StreamPoller | undefined;
  let scheduler: LocalScheduler | undefined;
  let smtp: { readonly port: number; stop(): Promise<void> } | undefined;
  if (stepFunctions && eventBridge) {
    background.push(eventBridge, stepFunctions, ...(queues ? [queues] : []), ...(s3 ? [s3] : []));
    const work = await startBackgroundWork({ tableName: table.tableName, dynamodbEndpoint: table.endpoint, sesStoreUrl: `${inject('sesEndpoint')}/store`, schedules: false });
    background.push(work);
    streams = work.streams;
    smtp = await startSmtpLocal({ port: 0, s3Endpoint: s3!.endpoint });
    background.push(smtp);
    scheduler = work.scheduler;
  }
  const tokens = new Map<string, Promise<string>>();
  const tokenFor = (subject: TokenSubject, options?: TokenOptions) => {
    if (options) return mintToken(signingKey, subject, options);
    const cacheKey = JSON.stringify(subject);
    if (!tokens.has(cacheKey)) tokens.set(cacheKey, mintToken(signingKey, subject));
    return tokens.get(cacheKey)!;
  };

  async function request<T>(method: string, path: string, { body, headers = {}, as = testAdmin }: RequestOptions = {}): Promise<ApiResponse<T>> {
    const sendsJson = body !== undefined && typeof body !== 'string';
    const authorization: Record<string, string> = as === 'anonymous' ? {} : { authorization: `Bearer ${await tokenFor(as)}` };
    const response = await fetch(new URL(path, gateway.url), {
      method,
      headers: { ...authorization, ...(sendsJson ? { 'content-type': 'application/json' } : {}), ...headers },
      body: sendsJson ? JSON.stringify(body) : (body as string | undefined),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    const isJson = /\bjson\b/.test(contentType ?? '') && text !== '';
    const json = isJson ? (JSON.parse(text) as T) : undefined;
    const violations = responseViolations(method, path, response.status, contentType, isJson ? json : text === '' ? undefined : text);
    if (violations.length > 0) throw new Error(`${method} ${path} answered ${response.status} out of contract (docs: /openapi.json):\n  ${violations.join('\n  ')}\n${text.slice(0, 1_000)}`);
    return { status: response.status, headers: response.headers, text, json };
  }

  async function create<T extends { id: string }>(collection: string, body: Record<string, unknown>): Promise<T> {
    const response = await request<T>('POST', `/v1/${collection}`, { body });
    if (response.status !== 201) throw new Error(`POST /v1/${collection} answered ${response.status}, not 201: ${response.text}`);
    return response.json!;
  }

  async function addOwners(...ids: string[]): Promise<void> {
    for (const id of ids) {
      const response = await request('PUT', `/v1/owners/${encodeURIComponent(id)}`, { body: {} });
      if (response.status !== 200) throw new Error(`Could not add owner ${id}: ${response.status} ${response.text}`);
    }
  }

  return {
    url: gateway.url,
    table,
    request,
    create,
    addOwners,
    tokenFor,
    ...(streams && eventBridge && scheduler && queues && smtp ? { automations: { streams, endedExecutions, eventBridge, scheduler, queues, smtpPort: smtp.port } } : {}),
    async close() {
      await gateway.close();
      for (const service of background.reverse()) await service.stop();
    },
  };
}
