import { DynamoDbCrmTable } from '../adapters/dynamodb/dynamodb-crm-table';
import { systemClock } from '../adapters/system-clock';
import { noteSignedInUser } from '../domain/owners/owners';
import { OWNERS } from './contact-items';
import { Agent, request as nodeRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../adapters/config';
import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';
import { createDocumentClient, createDynamoDbClient } from '../adapters/dynamodb/document-client';
import { prepareTable } from '../local/prepare-table';
import { startDynamoDbLocal } from '../local/dynamodb-local';
import { startGateway } from '../local/gateway';
import { useLocalAwsEnvironment } from '../local/local-environment';
import { startLocalSes } from '../local/ses-local';
import { createLocalJwtAuthorizer, createSigningKey, mintToken } from '../local/local-jwt';

export interface ApiResponse {
  status: number;
  body: any;
}

export interface BenchApi {
  /** How many requests were sent so far. */
  requestsSent(): number;
  /** Sends one request; throws when the status is not the one expected, so a broken route never reads as a fast one. */
  call(method: string, path: string, body: unknown, expectedStatus: number): Promise<ApiResponse>;
}

export interface BenchEnvironment {
  readonly api: BenchApi;
  readonly tableName: string;
  /** The same client the handlers build (forbidScan, capacity meter), for raw calls next to the routes. */
  readonly client: DynamoDBClient;
  readonly documentClient: DynamoDBDocumentClient;
  stop(): Promise<void>;
}

/**
 * An in-memory DynamoDB Local, a fresh table, and the real handlers behind the local
 * gateway (with its JWT authorizer, as deployed), all in this process. The capacity
 * meter is switched on before any client exists, so every call the handlers and the
 * bench send is recorded.
 */
export async function startBenchEnvironment(): Promise<BenchEnvironment> {
  process.env.CRM_CAPACITY_METER = '1';
  // The sequence step logs every step (as it should in Lambda); here that would bury the tables.
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  const dynamodb = await startDynamoDbLocal();
  const ses = await startLocalSes();
  try {
    const tableName = `crm-bench-${randomUUID().slice(0, 8)}`;
    useLocalAwsEnvironment({ tableName, dynamodbEndpoint: dynamodb.endpoint, sesEndpoint: ses.endpoint });
    // As deployed, sequence mail is signed with an unsubscribe link (nobody follows it here).
    process.env.PUBLIC_API_URL = 'https://crm.bench.example';
    const config = loadConfig();
    const client = createDynamoDbClient(config);
    const documentClient = createDocumentClient(config, client);
    await prepareTable({ tableName, endpoint: dynamodb.endpoint });
    const signingKey = await createSigningKey();
    const gateway = await startGateway({ port: 0, authorizer: await createLocalJwtAuthorizer(signingKey) });
    // Every request is sent as one manager: it may create and change any record, so ownership rules never get in the way.
    const token = await mintToken(signingKey, { kind: 'user', id: 'bench-manager', role: 'manager' }, { expiresInSeconds: 6 * 3600 });
    const authorization = `Bearer ${token}`;
    // The owners the bench's records are assigned to, as if each had signed in (records may only name owners).
    const crmTable = new DynamoDbCrmTable(documentClient, tableName);
    for (let n = 0; n < OWNERS; n++) await noteSignedInUser({ table: crmTable, clock: systemClock }, { id: `user-${n}` });
    takeMeteredCalls(); // table creation and owners are not part of any measurement

    const agent = new Agent({ keepAlive: true });
    let sent = 0;
    const api: BenchApi = {
      requestsSent: () => sent,
      async call(method, path, body, expectedStatus) {
        sent++;
        const response = await httpRequest(agent, `${gateway.url}${path}`, {
          method,
          headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = response.text;
        if (response.status !== expectedStatus) throw new Error(`${method} ${path} answered ${response.status}, expected ${expectedStatus}: ${text.slice(0, 500)}`);
        return { status: response.status, body: text ? JSON.parse(text) : undefined };
      },
    };

    return {
      api,
      tableName,
      client,
      documentClient,
      async stop() {
        agent.destroy();
        await gateway.close();
        client.destroy();
        await ses.stop();
        await dynamodb.stop();
      },
    };
  } catch (error) {
    await ses.stop();
    await dynamodb.stop();
    throw error;
  }
}

/**
 * One HTTP request over a keep-alive connection with node:http: the lightest client at
 * hand, so the route's time is the API's and not the client's (fetch adds about 0.2 ms a
 * request of its own).
 */
function httpRequest(agent: Agent, url: string, options: { method: string; headers: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = nodeRequest(url, { method: options.method, headers: options.headers, agent }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(options.body);
  });
}
