import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { closeServer, listen, readAll, type Listening } from './http-server';

/**
 * A local SES: aws-ses-v2-local (SendEmail v1/v2, raw and templated mail, a web page
 * showing what was sent) running in this process, behind a thin front of our own.
 *
 * The front exists because aws-ses-v2-local keeps each email's MessageId but drops the
 * SendEmail fields SES uses for event publishing: `EmailTags` and `ConfigurationSetName`.
 * The front reads them from every v2 SendEmail request, pairs them with the MessageId
 * of the answer, and adds them to each email `GET /store` returns, so the local SES
 * event source (ses-event-source.ts) can publish what SES would: events only for mail
 * sent with the configuration set, with the sender's tags in `mail.tags`.
 */

/** One email as `GET {storeUrl}` lists it (`{ templates, emails: StoredEmail[] }`). */
export interface StoredEmail {
  /** The MessageId SendEmail answered with (`ses-` and nine digits locally). */
  messageId: string;
  /** FromEmailAddress as sent, display name included. */
  from: string;
  replyTo: string[];
  /** Addresses as sent (a display name is kept, `Ada <ada@example.com>`). */
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { html?: string; text?: string };
  attachments: { content: string; contentType: string; filename?: string; size: number }[];
  /** Custom headers of Simple and Template content; absent for raw mail. */
  headers?: { name: string; value: string }[];
  /** When it was sent, in epoch seconds (whole seconds only). */
  at: number;
  /** Added by the front: SendEmail's EmailTags. Absent for mail sent another way (v1 API, SendBulkEmail). */
  emailTags?: { Name: string; Value: string }[];
  /** Added by the front: SendEmail's ConfigurationSetName, when it named one. */
  configurationSetName?: string;
}

export interface SesStore {
  templates: Record<string, unknown>;
  emails: StoredEmail[];
}

export interface LocalSes {
  /** What the SES clients are pointed at (SES_ENDPOINT); its root page shows the mail sent. */
  endpoint: string;
  /** `GET` lists every email sent (`?since=<epoch seconds>` narrows it); `POST {endpoint}/clear-store` empties it. */
  storeUrl: string;
  port: number;
  stop(): Promise<void>;
}

type SendOptions = Pick<StoredEmail, 'emailTags' | 'configurationSetName'>;
type StartServer = (config?: { host?: string; port?: number }) => Promise<Server>;

const SEND_EMAIL_PATH = '/v2/email/outbound-emails';

export async function startLocalSes({ port = 0, host = '127.0.0.1' }: { port?: number; host?: string } = {}): Promise<LocalSes> {
  // require, not import: the package is CommonJS with an `exports.default`, which the
  // ESM loaders here (tsx, vitest, plain Node) unwrap differently.
  const { default: startSesServer } = createRequire(import.meta.url)('aws-ses-v2-local') as { default: StartServer };
  const inner = await startSesServer({ host: '127.0.0.1', port: 0 });
  // Express hands a failed listen to the package's callback, which resolves anyway.
  if (!inner.listening) throw new Error('aws-ses-v2-local did not start listening');
  const innerPort = (inner.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true });
  const sendOptions = new Map<string, SendOptions>();

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://local').pathname;
    const requestBody = await readAll(request);
    const upstream = await forward({ port: innerPort, agent, method: request.method ?? 'GET', url: request.url ?? '/', headers: request.headers, body: requestBody });
    let body = upstream.body;
    if (upstream.status === 200 && request.method === 'POST' && path === SEND_EMAIL_PATH) rememberSendOptions(sendOptions, requestBody, upstream.body);
    if (upstream.status === 200 && request.method === 'POST' && path === '/clear-store') sendOptions.clear();
    if (upstream.status === 200 && request.method === 'GET' && path === '/store') body = withSendOptions(upstream.body, sendOptions);
    const headers = { ...upstream.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    response.writeHead(upstream.status, headers).end(body);
  }

  const front = createServer((request, response) => {
    serve(request, response).catch((error: unknown) => {
      console.error('[ses] request failed:', error);
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ message: String(error) }));
      else response.destroy();
    });
  });
  let listening: Listening;
  try {
    listening = await listen(front, port, host);
  } catch (error) {
    await closeServer(inner);
    throw error;
  }
  const endpoint = listening.url;
  return {
    endpoint,
    storeUrl: `${endpoint}/store`,
    port: listening.port,
    async stop() {
      await listening.close();
      agent.destroy();
      await closeServer(inner);
    },
  };
}

/** Pairs the tags and configuration set of a successful SendEmail with the MessageId it returned. */
function rememberSendOptions(sendOptions: Map<string, SendOptions>, requestBody: Buffer, responseBody: Buffer): void {
  const sent = parseJson(requestBody) as { EmailTags?: { Name: string; Value: string }[]; ConfigurationSetName?: string } | undefined;
  const answer = parseJson(responseBody) as { MessageId?: string } | undefined;
  if (!sent || !answer?.MessageId) return;
  sendOptions.set(answer.MessageId, {
    emailTags: sent.EmailTags ?? [],
    ...(sent.ConfigurationSetName ? { configurationSetName: sent.ConfigurationSetName } : {}),
  });
}

function withSendOptions(storeBody: Buffer, sendOptions: Map<string, SendOptions>): Buffer {
  const store = parseJson(storeBody) as SesStore | undefined;
  if (!store) return storeBody;
  const emails = store.emails.map((email) => ({ ...email, ...sendOptions.get(email.messageId) }));
  return Buffer.from(JSON.stringify({ ...store, emails }));
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function forward(options: {
  port: number;
  agent: Agent;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  const { port, agent, method, url, headers, body } = options;
  return new Promise((resolve, reject) => {
    const { 'transfer-encoding': _chunked, ...sentHeaders } = headers; // the body goes out whole, with its length
    const outgoing = httpRequest({ host: '127.0.0.1', port, agent, method, path: url, headers: { ...sentHeaders, 'content-length': String(body.length) } }, (incoming) => {
      readAll(incoming).then((responseBody) => resolve({ status: incoming.statusCode ?? 502, headers: incoming.headers, body: responseBody }), reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
