import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../adapters/config';
import { createRuntime, type CrmRuntime } from '../../adapters/runtime';
import { ssrfSafeTransport } from '../../adapters/webhooks/ssrf-safe-transport';
import { standardWebhooksSigning } from '../../adapters/webhooks/standard-webhooks-signing';
import type { CrmEventDetail } from '../../domain/events/crm-events';
import { noteSignedInUser } from '../../domain/owners/owners';
import type { Actor } from '../../domain/shared/actor';
import type { OutgoingEmail } from '../../domain/email/email-sender';
import { attemptDelivery, deliveriesForEvent, findDelivery, MAX_ATTEMPTS, retryPauseSeconds, RETRY_PAUSES_SECONDS } from '../../domain/webhooks/webhook-deliveries';
import type { DeliveryRef, WebhookTransport } from '../../domain/webhooks/webhook-ports';
import { allWebhooks, createWebhook, endpointsOf, findWebhook } from '../../domain/webhooks/webhooks';
import { createTestTable } from '../support/local-dynamodb';

/**
 * Webhook deliveries on the real table (DynamoDB Local) with the real SSRF-safe client and
 * signer: a redelivered event makes no second delivery, the backoff spans more than a day,
 * an endpoint failing for days is disabled and its creator emailed, and a host that resolved
 * to a public address at registration but to a private one at delivery (DNS rebinding) is
 * never called.
 */

const admin: Actor = { type: 'user', id: 'webhook-admin', role: 'admin' };
let runtime: CrmRuntime;
let offsetMs = 0;
const clock = () => ({ now: () => new Date(Date.now() + offsetMs), sleep: runtime.clock.sleep });
const mailed: OutgoingEmail[] = [];
const queued: DeliveryRef[] = [];
let server: Server;
let calls = 0;
let port = 0;

beforeAll(async () => {
  const table = await createTestTable();
  runtime = createRuntime(loadConfig({ TABLE_NAME: table.tableName, DYNAMODB_ENDPOINT: table.endpoint, AWS_REGION: 'us-east-1' }));
  await noteSignedInUser(runtime, { id: admin.id, email: 'admin@acme.example' });
  server = createServer((request, response) => {
    calls += 1;
    request.resume();
    request.on('end', () => response.writeHead(503).end('down'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function depsWith(transport: WebhookTransport) {
  const base = { ...runtime, clock: clock(), webhookTransport: transport, webhookSigning: standardWebhooksSigning, deliveryQueue: { enqueue: async (refs: readonly DeliveryRef[]) => void queued.push(...refs) } };
  const withMail = { ...base, emailSender: { send: async (email: OutgoingEmail) => (mailed.push(email), { providerMessageId: 'p' }) } };
  return { ...base, endpoints: endpointsOf(withMail), random: () => 0.5 };
}

const event = (n: number): CrmEventDetail =>
  ({
    schemaVersion: 1,
    eventId: `contact.created/C${n}/1`,
    type: 'contact.created',
    // After the endpoints were made: events from before an endpoint existed are not for it.
    occurredAt: new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString(),
    recordType: 'contact',
    recordId: `C${n}`,
    version: 1,
    path: `/v1/contacts/C${n}`,
    actor: { type: 'user', id: 'u' },
    changedFields: [],
  }) as CrmEventDetail;

describe('webhook deliveries on the table', () => {
  it('writes one delivery per event and endpoint, however often the event comes', async () => {
    const deps = depsWith(ssrfSafeTransport({ allowLoopback: true }));
    const webhook = await createWebhook(deps, { url: `http://127.0.0.1:${port}/once`, eventTypes: ['contact.*'] }, admin);
    const endpoints = (await allWebhooks(runtime)).filter((endpoint) => endpoint.id === webhook.id);
    const first = await deliveriesForEvent(deps, event(1), endpoints);
    const again = await deliveriesForEvent(deps, event(1), endpoints);
    expect(first).toHaveLength(1);
    // Still pending: queued again (the first queueing may be what failed), and the same delivery.
    expect(again).toEqual(first);
    expect(await deliveriesForEvent(deps, { ...event(2), type: 'deal.created', recordType: 'deal' } as CrmEventDetail, endpoints)).toEqual([]);
  });

  it('backs off from 5 s to 10 h, with jitter, for more than a day in all', () => {
    const pauses = Array.from({ length: MAX_ATTEMPTS - 1 }, (_, index) => retryPauseSeconds(index + 1, 0.5));
    expect(pauses).toEqual([...RETRY_PAUSES_SECONDS]);
    expect(pauses.reduce((sum, pause) => sum + pause, 0)).toBeGreaterThan(24 * 3_600);
    expect(retryPauseSeconds(1, 0)).toBe(4);
    expect(retryPauseSeconds(7, 0.999)).toBeLessThanOrEqual(43_200);
  });

  it('disables an endpoint that has failed for five days, once, raises its event from the change, and emails its creator', async () => {
    offsetMs = 0;
    calls = 0;
    const deps = depsWith(ssrfSafeTransport({ allowLoopback: true }));
    const webhook = await createWebhook(deps, { url: `http://127.0.0.1:${port}/down`, eventTypes: ['contact.*'] }, admin);
    const [ref] = await deliveriesForEvent(deps, event(3), [(await findWebhook(runtime, webhook.id))!]);
    const first = await attemptDelivery(deps, ref!);
    expect(first).toMatchObject({ outcome: 'retry', pauseSeconds: 5 });
    const failingSince = (await findWebhook(runtime, webhook.id))!.failingSince;
    expect(failingSince).toBeDefined();

    // Days of failures later: the next failed attempt turns it off.
    offsetMs = 5 * 24 * 3_600_000 + 60_000;
    const [later] = await deliveriesForEvent(deps, event(4), [(await findWebhook(runtime, webhook.id))!]);
    await attemptDelivery(deps, later!);
    const disabled = (await findWebhook(runtime, webhook.id))!;
    expect(disabled).toMatchObject({ enabled: false, disabledReason: 'failing', failingSince });
    expect(mailed.filter((mail) => mail.to === 'admin@acme.example' && mail.subject.includes(webhook.url))).toHaveLength(1);

    // Queued deliveries to it are given up without a call, and stay replayable.
    const before = calls;
    expect(await attemptDelivery(deps, ref!)).toMatchObject({ outcome: 'done' });
    expect(calls).toBe(before);
    expect(await findDelivery(runtime, webhook.id, ref!.deliveryId)).toMatchObject({ status: 'failed', failureReason: expect.stringContaining('disabled') });
    offsetMs = 0;
  });

  it('never calls a host that resolved to a public address at registration and to a private one at delivery', async () => {
    calls = 0;
    let answer = '93.184.215.14';
    const rebinding = ssrfSafeTransport({ resolve: async () => [answer] });
    const deps = depsWith(rebinding);
    const webhook = await createWebhook(deps, { url: `https://hooks.rebinding.example:${port}/x`, eventTypes: ['contact.*'] }, admin);
    answer = '127.0.0.1';
    const [ref] = await deliveriesForEvent(deps, event(5), [(await findWebhook(runtime, webhook.id))!]);
    const outcome = await attemptDelivery(deps, ref!);
    expect(outcome.outcome).toBe('retry');
    expect(calls).toBe(0);
    const delivery = await findDelivery(runtime, webhook.id, ref!.deliveryId);
    expect(delivery!.attemptLog[0]!.error).toMatch(/refused: 127\.0\.0\.1 is a loopback address/);
  });

  it('signs so that the standardwebhooks library verifies, with one signature per secret', () => {
    const [one, two] = [standardWebhooksSigning.newSecret(), standardWebhooksSigning.newSecret()];
    const at = new Date();
    const body = '{"type":"contact.created"}';
    const signature = standardWebhooksSigning.signature([one, two], 'msg_1', at, body);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': signature };
    expect(new StandardWebhook(one).verify(body, headers)).toEqual({ type: 'contact.created' });
    expect(new StandardWebhook(two).verify(body, headers)).toEqual({ type: 'contact.created' });
    expect(() => new StandardWebhook(one).verify(`${body} `, headers)).toThrow();
  });
});
