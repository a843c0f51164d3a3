/**
 * What webhook delivery needs from the world, filled by adapters/webhooks/: the HTTP call
 * (with its SSRF rules), the signature (the Standard Webhooks library), and the queue that
 * holds each delivery until it is made.
 */

/** What one POST to an endpoint came to. */
export interface EndpointResponse {
  /** A 2xx answer. */
  readonly ok: boolean;
  /** The HTTP status, when the endpoint answered. */
  readonly status?: number;
  /** Why there was no 2xx: a refused address, a timeout, a connection error, a redirect, a status. */
  readonly error?: string;
  readonly latencyMs: number;
  /** The start of the response body (a few KB at most). */
  readonly body?: string;
}

export interface WebhookTransport {
  /** Why the URL may not be called now (scheme, or an address its host resolves to), or undefined when it may. */
  refusal(url: string): Promise<string | undefined>;
  /** One POST: the address is checked again at connect time, redirects are not followed, it gives up after 10 s. */
  post(url: string, headers: Readonly<Record<string, string>>, body: string): Promise<EndpointResponse>;
}

export interface WebhookSigning {
  /** A new random secret, `whsec_…`. */
  newSecret(): string;
  /** The `webhook-signature` header: one `v1,<signature>` per secret, space-separated. */
  signature(secrets: readonly string[], messageId: string, at: Date, body: string): string;
}

/** One delivery, as the queue carries it. */
export interface DeliveryRef {
  readonly webhookId: string;
  readonly deliveryId: string;
}

export interface DeliveryQueue {
  /** Queues deliveries to be attempted now. */
  enqueue(deliveries: readonly DeliveryRef[]): Promise<void>;
}

export interface WebhookDependencies {
  readonly webhookTransport: WebhookTransport;
  readonly webhookSigning: WebhookSigning;
  readonly deliveryQueue: DeliveryQueue;
}
