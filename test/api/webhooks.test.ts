import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TokenSubject } from '../../local/local-jwt';
import { eventually } from '../support/eventually';
import { startTestApi, type TestApi } from '../support/api-server';

/**
 * Webhooks end to end on the local runtime: API write → stream → event publisher → the
 * local bus → the fan-out rule → the local SQS queue → the delivery function → a receiver
 * on this machine, which verifies every delivery with the `standardwebhooks` library (the
 * one integrators use). Retry pauses are capped at 0 s, so a day of backoff runs at once.
 */

interface Received {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly type: string;
  readonly eventId: string;
  readonly recordId?: string;
}

/** A receiver that records every request and answers what `answer` says for it. */
async function startReceiver(answer: (request: Received, nth: number) => number = () => 204) {
  const received: Received[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const parsed = JSON.parse(body) as { type: string; data: { eventId: string; recordId?: string } };
      const entry: Received = { path: request.url ?? '', headers: request.headers as Record<string, string>, body, type: parsed.type, eventId: parsed.data.eventId, ...(parsed.data.recordId ? { recordId: parsed.data.recordId } : {}) };
      received.push(entry);
      const status = answer(entry, received.filter((other) => other.eventId === entry.eventId).length);
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? 'receiver says no' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const verified = (secret: string, request: Received) => new Webhook(secret).verify(request.body, request.headers) as { type: string; data: { eventId: string } };

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ automations: true });
});
afterAll(() => api.close());

async function createWebhook(body: Record<string, unknown>) {
  const response = await api.request<{ id: string; secret: string; signingSecrets: unknown[] }>('POST', '/v1/webhooks', { body });
  expect(response.status, response.text).toBe(201);
  return response.json!;
}
const settled = async () => {
  await api.automations!.streams.drain();
  await api.automations!.eventBridge.drain();
  await api.automations!.queues.drain();
};

describe('webhooks', () => {
  it('delivers each subscribed event once, signed as Standard Webhooks says, with the event id as webhook-id', async () => {
    const receiver = await startReceiver();
    try {
      const webhook = await createWebhook({ url: `${receiver.url}/crm`, eventTypes: ['contact.*'], description: 'contacts only' });
      expect(webhook.secret).toMatch(/^whsec_/);
      const shown = await api.request<Record<string, unknown>>('GET', `/v1/webhooks/${webhook.id}`);
      expect(JSON.stringify(shown.json)).not.toContain(webhook.secret);

      const contact = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Webhook', email: `wh-${Date.now()}@example.com` } });
      await api.request('POST', '/v1/companies', { body: { name: 'Not subscribed', domain: `ns-${Date.now()}.example` } });
      await api.request('PATCH', `/v1/contacts/${contact.json!.id}`, { body: { lifecycleStage: 'customer' } });
      await settled();

      // Deliveries are not ordered (each has its own retries): receivers order a record's events by version.
      const versionOf = (request: Received) => (JSON.parse(request.body) as { data: { version: number } }).data.version;
      const mine = receiver.received.filter((request) => request.recordId === contact.json!.id).sort((a, b) => versionOf(a) - versionOf(b));
      expect(mine.map((request) => request.type)).toEqual(['contact.created', 'contact.updated']);
      expect(receiver.received.every((request) => request.type.startsWith('contact.'))).toBe(true);
      for (const request of mine) {
        const payload = verified(webhook.secret, request);
        expect(request.headers['webhook-id']).toBe(payload.data.eventId);
        expect(request.path).toBe('/crm');
      }
      // A wrong secret does not verify: the signature is over this body, id and time.
      expect(() => new Webhook(`whsec_${Buffer.from('another secret of 32 bytes......').toString('base64')}`).verify(mine[0]!.body, mine[0]!.headers)).toThrow();

      const deliveries = await api.request<{ items: { status: string; attempts: number; eventType: string; attemptLog: { responseStatus: number }[] }[] }>('GET', `/v1/webhooks/${webhook.id}/deliveries`);
      expect(deliveries.json!.items.filter((delivery) => delivery.eventType.startsWith('contact.')).every((delivery) => delivery.status === 'succeeded' && delivery.attempts === 1)).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('retries a receiver that answers 500: the third attempt brings the same event, with the same id', async () => {
    const receiver = await startReceiver((_request, nth) => (nth <= 2 ? 500 : 200));
    try {
      const webhook = await createWebhook({ url: receiver.url, eventTypes: ['deal.created'] });
      const deal = await api.request<{ id: string }>('POST', '/v1/deals', { body: { name: 'Retried deal', amount: 100, currency: 'EUR' } });
      await settled();

      const attempts = receiver.received.filter((request) => request.recordId === deal.json!.id);
      expect(attempts).toHaveLength(3);
      expect(new Set(attempts.map((request) => request.headers['webhook-id'])).size).toBe(1);
      for (const request of attempts) verified(webhook.secret, request);

      const page = await api.request<{ items: { id: string; status: string; attempts: number; attemptLog: { responseStatus: number; error?: string }[] }[] }>('GET', `/v1/webhooks/${webhook.id}/deliveries`);
      const delivery = page.json!.items[0]!;
      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3 });
      expect(delivery.attemptLog.map((attempt) => attempt.responseStatus)).toEqual([500, 500, 200]);
      expect(delivery.attemptLog[0]!.error).toBe('answered 500');
    } finally {
      await receiver.close();
    }
  });

  it('gives a delivery up after its last attempt, keeps it, and redelivers it on replay and on retry', async () => {
    let down = true;
    const receiver = await startReceiver(() => (down ? 503 : 200));
    try {
      const webhook = await createWebhook({ url: receiver.url, eventTypes: ['company.created'] });
      const before = new Date(Date.now() - 1_000).toISOString();
      const company = await api.request<{ id: string }>('POST', '/v1/companies', { body: { name: 'Replayed', domain: `replayed-${Date.now()}.example` } });
      await settled();
      const attempts = receiver.received.filter((request) => request.recordId === company.json!.id);
      expect(attempts).toHaveLength(8);

      const page = await api.request<{ items: { id: string; status: string; attempts: number }[] }>('GET', `/v1/webhooks/${webhook.id}/deliveries`);
      const failed = page.json!.items[0]!;
      expect(failed).toMatchObject({ status: 'failed', attempts: 8 });

      down = false;
      const replay = await api.request<{ queued: number }>('POST', `/v1/webhooks/${webhook.id}/replay`, { body: { from: before, to: new Date().toISOString() } });
      expect(replay.status).toBe(202);
      expect(replay.json!.queued).toBe(1);
      await settled();
      const replayed = receiver.received.filter((request) => request.recordId === company.json!.id);
      expect(replayed).toHaveLength(9);
      expect(replayed.at(-1)!.headers['webhook-id']).toBe(attempts[0]!.headers['webhook-id']);
      verified(webhook.secret, replayed.at(-1)!);

      const retried = await api.request<{ status: string }>('POST', `/v1/webhooks/${webhook.id}/deliveries/${failed.id}/retry`);
      expect(retried.status).toBe(202);
      await settled();
      expect(receiver.received.filter((request) => request.recordId === company.json!.id)).toHaveLength(10);
      const one = await api.request<{ status: string; payload: string }>('GET', `/v1/webhooks/${webhook.id}/deliveries/${failed.id}`);
      expect(one.json).toMatchObject({ status: 'succeeded' });
      expect(JSON.parse(one.json!.payload)).toMatchObject({ type: 'company.created' });
    } finally {
      await receiver.close();
    }
  });

  it('refuses endpoints at private, link-local or metadata addresses with a 400, and plain http to other hosts', async () => {
    for (const url of ['https://10.1.2.3/hook', 'https://169.254.169.254/latest/meta-data/', 'https://192.168.0.10/', 'https://[fd00:ec2::254]/', 'https://[::ffff:10.0.0.1]/', 'http://8.8.8.8/hook', 'ftp://example.com/', 'https://user:pw@8.8.8.8/']) {
      const response = await api.request<{ errors: { field: string; message: string }[] }>('POST', '/v1/webhooks', { body: { url, eventTypes: ['*'] } });
      expect(response.status, url).toBe(400);
      expect(response.json!.errors[0]!.field).toBe('body.url');
    }
    const list = await api.request<{ items: { url: string }[] }>('GET', '/v1/webhooks?limit=100');
    expect(list.json!.items.some((webhook) => /10\.1\.2\.3|169\.254|192\.168|fd00|8\.8\.8\.8/.test(webhook.url))).toBe(false);
  });

  it('refuses unknown event types, and lets only admins manage webhooks', async () => {
    const typo = await api.request<{ errors: { field: string }[] }>('POST', '/v1/webhooks', { body: { url: 'http://127.0.0.1:9/x', eventTypes: ['deal.wonn', 'nothing.*'] } });
    expect(typo.status).toBe(400);
    expect(typo.json!.errors.map((error) => error.field)).toEqual(['body.eventTypes.0', 'body.eventTypes.1']);
    const manager: TokenSubject = { kind: 'user', id: 'manager-wh', role: 'manager' };
    expect((await api.request('GET', '/v1/webhooks', { as: manager })).status).toBe(403);
    expect((await api.request('POST', '/v1/webhooks', { as: manager, body: { url: 'http://127.0.0.1:9/x', eventTypes: ['*'] } })).status).toBe(403);
  });

  it('sends a signed ping on test, and signs with both secrets while a rotation overlaps', async () => {
    const receiver = await startReceiver();
    try {
      const webhook = await createWebhook({ url: receiver.url, eventTypes: ['activity.created'] });
      const ping = await api.request<{ status: string; eventType: string; attemptLog: { responseStatus: number }[] }>('POST', `/v1/webhooks/${webhook.id}/test`);
      expect(ping.status).toBe(200);
      expect(ping.json).toMatchObject({ status: 'succeeded', eventType: 'webhook.test', attemptLog: [{ responseStatus: 204 }] });
      expect(verified(webhook.secret, receiver.received[0]!).type).toBe('webhook.test');

      const rotated = await api.request<{ secret: string; signingSecrets: { expiresAt?: string }[] }>('POST', `/v1/webhooks/${webhook.id}/rotate-secret`, { body: { overlapHours: 1 } });
      expect(rotated.status).toBe(200);
      expect(rotated.json!.secret).not.toBe(webhook.secret);
      expect(rotated.json!.signingSecrets.map((secret) => secret.expiresAt === undefined)).toEqual([true, false]);
      await api.request('POST', `/v1/webhooks/${webhook.id}/test`);
      const latest = receiver.received.at(-1)!;
      expect(latest.headers['webhook-signature']!.split(' ')).toHaveLength(2);
      verified(webhook.secret, latest);
      verified(rotated.json!.secret, latest);

      // The rotation is audited by when, never with a secret.
      const audit = await api.request<{ items: { changes: { field: string }[] }[] }>('GET', `/v1/audit?recordType=webhook&recordId=${webhook.id}`);
      expect(audit.json!.items[0]!.changes.map((change) => change.field)).toEqual(['secretsRotatedAt']);
      expect(audit.text).not.toContain('whsec_');
      // Without a body: the default overlap.
      expect((await api.request('POST', `/v1/webhooks/${webhook.id}/rotate-secret`)).status).toBe(200);

      // With no overlap, the old secret stops signing at once.
      const again = await api.request<{ secret: string }>('POST', `/v1/webhooks/${webhook.id}/rotate-secret`, { body: { overlapHours: 0 } });
      await api.request('POST', `/v1/webhooks/${webhook.id}/test`);
      const last = receiver.received.at(-1)!;
      verified(again.json!.secret, last);
      expect(() => verified(rotated.json!.secret, last)).toThrow();
    } finally {
      await receiver.close();
    }
  });

  it('sends nothing to a disabled endpoint, and delivers what it missed when replayed after it is enabled again', async () => {
    const receiver = await startReceiver();
    try {
      const webhook = await createWebhook({ url: receiver.url, eventTypes: ['contact.created'] });
      const before = new Date(Date.now() - 1_000).toISOString();
      expect((await api.request('PATCH', `/v1/webhooks/${webhook.id}`, { body: { enabled: false } })).status).toBe(200);
      const missed = await api.request<{ id: string }>('POST', '/v1/contacts', { body: { firstName: 'Unheard', email: `unheard-${Date.now()}@example.com` } });
      await settled();
      expect(receiver.received).toHaveLength(0);
      expect((await api.request('POST', `/v1/webhooks/${webhook.id}/replay`, { body: { from: before, to: new Date().toISOString() } })).status).toBe(400);

      expect((await api.request('PATCH', `/v1/webhooks/${webhook.id}`, { body: { enabled: true } })).status).toBe(200);
      const replay = await api.request<{ queued: number }>('POST', `/v1/webhooks/${webhook.id}/replay`, { body: { from: before, to: new Date().toISOString() } });
      expect(replay.json!.queued).toBeGreaterThanOrEqual(1);
      await settled();
      expect(receiver.received.filter((request) => request.recordId === missed.json!.id).map((request) => request.type)).toEqual(['contact.created']);
      verified(webhook.secret, receiver.received[0]!);
    } finally {
      await receiver.close();
    }
  });
});
