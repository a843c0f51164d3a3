import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';
import { ssrfSafeTransport } from '../adapters/webhooks/ssrf-safe-transport';
import { standardWebhooksSigning } from '../adapters/webhooks/standard-webhooks-signing';
import { createRuntime } from '../adapters/runtime';
import { loadConfig } from '../adapters/config';
import type { CrmEventDetail } from '../domain/events/crm-events';
import type { Actor } from '../domain/shared/actor';
import { attemptDelivery, deliveriesForEvent, deliveryPayload } from '../domain/webhooks/webhook-deliveries';
import { allWebhooks, createWebhook, endpointsOf } from '../domain/webhooks/webhooks';
import { contactRecordItem } from './contact-items';
import { documentedCapacity } from './capacity-rules';
import { fixed, table, thousands, times } from './report';
import { percentile, ratio } from './stats';

/**
 * Webhook deliveries per second, and the latency a delivery adds to the POST itself: the
 * domain's fan-out and attempt (functions/webhook-fanout.ts and webhook-delivery.ts minus the
 * queue) on DynamoDB Local, signing with standardwebhooks and posting through the SSRF-safe
 * client to a receiver on this machine, next to plain POSTs of the same bodies to the same
 * receiver at the same concurrency, in the same run. The SQS hop between the two functions is
 * not in it (the local queue is no model of SQS's latency); its cost is in docs/cost.md. The
 * DynamoDB units per delivery are the documented ones of the calls it made (capacity-rules.ts),
 * as on-demand DynamoDB bills them.
 */

export interface WebhookDeliveryResult {
  readonly deliveries: number;
  readonly concurrency: number;
  readonly rawPostsPerSecond: number;
  readonly deliveriesPerSecond: number;
  readonly deliveriesVsRaw: number;
  readonly rawP50Ms: number;
  readonly rawP99Ms: number;
  readonly deliveryP50Ms: number;
  readonly deliveryP99Ms: number;
  /** Per delivery: fan-out (endpoint Query, delivery put) and attempt (reads, the recorded outcome). */
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly payloadBytes: number;
}

const admin: Actor = { type: 'user', id: 'bench-admin', role: 'admin' };

async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next++;
        const started = performance.now();
        await work(index);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

function rawPost(url: URL, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => (response.statusCode === 204 ? resolve() : reject(new Error(`receiver answered ${response.statusCode}`))));
    });
    request.on('error', reject);
    request.end(body);
  });
}

/** Needs the bench environment's table (TABLE_NAME and the endpoint in the environment, the capacity meter on). */
export async function measureWebhookDelivery({ deliveries, concurrency }: { deliveries: number; concurrency: number }): Promise<WebhookDeliveryResult> {
  const receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = new URL(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`);
  try {
    const runtime = createRuntime(loadConfig({ ...process.env }));
    const deps = { ...runtime, webhookTransport: ssrfSafeTransport({ allowLoopback: true }), webhookSigning: standardWebhooksSigning, deliveryQueue: { enqueue: async () => undefined } };
    const attempts = { ...deps, endpoints: endpointsOf(deps), random: Math.random };
    const webhook = await createWebhook(deps, { url: url.href, eventTypes: ['contact.created'] }, admin);
    // Each event a new contact's, as the publisher raises it.
    const details = await Promise.all(
      Array.from({ length: deliveries }, async (_, index) => {
        const record = await contactRecordItem(9_000_000 + index);
        return {
          schemaVersion: 1,
          eventId: `contact.created/${String(record.id)}/1`,
          type: 'contact.created',
          occurredAt: new Date(Date.now() + 60_000 + index).toISOString(),
          recordType: 'contact',
          recordId: String(record.id),
          version: 1,
          path: `/v1/contacts/${String(record.id)}`,
          actor: { type: 'user', id: 'bench' },
          changedFields: [],
          changes: [],
          record,
        } as unknown as CrmEventDetail;
      }),
    );
    const payloads = details.map(deliveryPayload);

    const rawStarted = performance.now();
    const rawLatencies = await inParallel(deliveries, concurrency, (index) => rawPost(url, payloads[index]!));
    const rawSeconds = (performance.now() - rawStarted) / 1000;

    takeMeteredCalls();
    const started = performance.now();
    const latencies = await inParallel(deliveries, concurrency, async (index) => {
      const [ref] = await deliveriesForEvent(runtime, details[index]!, (await allWebhooks(runtime)).filter((endpoint) => endpoint.id === webhook.id));
      const outcome = await attemptDelivery(attempts, ref!);
      if (outcome.outcome !== 'done' || outcome.delivery?.status !== 'succeeded') throw new Error(`delivery ${ref!.deliveryId} did not succeed`);
    });
    const seconds = (performance.now() - started) / 1000;
    const units = documentedCapacity(takeMeteredCalls());
    return {
      deliveries,
      concurrency,
      rawPostsPerSecond: deliveries / rawSeconds,
      deliveriesPerSecond: deliveries / seconds,
      deliveriesVsRaw: ratio(deliveries / seconds, deliveries / rawSeconds),
      rawP50Ms: percentile(rawLatencies, 50),
      rawP99Ms: percentile(rawLatencies, 99),
      deliveryP50Ms: percentile(latencies, 50),
      deliveryP99Ms: percentile(latencies, 99),
      readUnits: units.read / deliveries,
      writeUnits: units.write / deliveries,
      payloadBytes: payloads.reduce((sum, payload) => sum + Buffer.byteLength(payload), 0) / deliveries,
    };
  } finally {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }
}

export function webhookDeliveryTable(result: WebhookDeliveryResult): string {
  return table(
    `Webhook deliveries (${thousands(result.deliveries)} events to one endpoint, ${result.concurrency} at a time)`,
    ['', 'per second', 'p50 ms', 'p99 ms'],
    [
      ['plain POST of the body (baseline)', fixed(result.rawPostsPerSecond, 0), fixed(result.rawP50Ms), fixed(result.rawP99Ms)],
      ['fan-out + signed attempt + recorded outcome', fixed(result.deliveriesPerSecond, 0), fixed(result.deliveryP50Ms), fixed(result.deliveryP99Ms)],
      ['ratio (deliveries / baseline)', times(result.deliveriesVsRaw), times(ratio(result.deliveryP50Ms, result.rawP50Ms)), times(ratio(result.deliveryP99Ms, result.rawP99Ms))],
    ],
    [
      `added latency per event at p50: ${fixed(result.deliveryP50Ms - result.rawP50Ms)} ms (the table writes and reads, the signature, the address check), before the SQS hop deployed`,
      `per delivery: ${fixed(result.readUnits)} read and ${fixed(result.writeUnits)} write units (documented, as on-demand DynamoDB bills them), body ${thousands(result.payloadBytes)} bytes`,
    ],
  );
}
