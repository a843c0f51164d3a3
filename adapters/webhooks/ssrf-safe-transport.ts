import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import ipaddr from 'ipaddr.js';
import type { EndpointResponse, WebhookTransport } from '../../domain/webhooks/webhook-ports';

/** An endpoint that has not answered in this long has failed (the attempt is retried later). */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Of a response body, only this much is read and kept (the delivery log shows it). */
export const RESPONSE_BODY_CAP_BYTES = 2_048;

export interface TransportOptions {
  /**
   * The local runtime only: loopback addresses may be called, and over plain http (receivers
   * on this machine). Deployed, every address must be public and the scheme https.
   */
  readonly allowLoopback?: boolean;
  /** Name resolution; the system resolver by default (tests give a resolver that lies, to play DNS rebinding). */
  readonly resolve?: (hostname: string) => Promise<readonly string[]>;
}

const systemResolve = async (hostname: string) => (await lookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

/**
 * Why the CRM will not call an address: only public unicast addresses may be called. That
 * refuses private (10/8, 172.16/12, 192.168/16), loopback, link-local (169.254/16, where the
 * instance metadata service is), carrier-grade NAT, unique-local IPv6 (fd00:ec2::254, the
 * metadata service over IPv6), IPv4-mapped and NAT64 forms of those, multicast and reserved ranges.
 */
export function addressRefusal(address: string, allowLoopback: boolean): string | undefined {
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  const range = parsed.range();
  if (range === 'unicast' || (allowLoopback && range === 'loopback')) return undefined;
  return `${address} is a ${range} address, which webhooks may not call`;
}

/**
 * Webhook POSTs that cannot be turned against the network they run in (SSRF): the host is
 * resolved, every address it resolves to must be public, and the request goes to the address
 * that was checked (the TLS certificate is still verified against the host name), so a DNS
 * answer that changes between the check and the connection (rebinding) cannot slip through.
 * Redirects are not followed, the body read is capped, and the whole call gives up after 10 s.
 */
export function ssrfSafeTransport({ allowLoopback = false, resolve = systemResolve }: TransportOptions = {}): WebhookTransport {
  async function checkedAddress(url: string): Promise<{ address: string } | { refusal: string }> {
    if (!URL.canParse(url)) return { refusal: 'not a URL' };
    const target = new URL(url);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') return { refusal: 'only https URLs' };
    const hostname = target.hostname.replace(/^\[(.*)\]$/, '$1');
    let addresses: readonly string[];
    try {
      addresses = ipaddr.isValid(hostname) ? [hostname] : await resolve(hostname);
    } catch (error) {
      return { refusal: `${hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? String(error)})` };
    }
    if (addresses.length === 0) return { refusal: `${hostname} does not resolve` };
    for (const address of addresses) {
      const refusal = addressRefusal(address, allowLoopback);
      if (refusal) return { refusal };
    }
    if (target.protocol === 'http:' && !(allowLoopback && addresses.every((address) => addressRefusal(address, false) !== undefined))) {
      return { refusal: allowLoopback ? 'plain http only to this machine (localhost)' : 'only https URLs' };
    }
    return { address: addresses[0]! };
  }

  return {
    async refusal(url) {
      const checked = await checkedAddress(url);
      return 'refusal' in checked ? checked.refusal : undefined;
    },

    async post(url, headers, body) {
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      const checked = await checkedAddress(url);
      if ('refusal' in checked) return { ok: false, error: `refused: ${checked.refusal}`, latencyMs: elapsed() };
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      return new Promise<EndpointResponse>((resolveResponse) => {
        let settled = false;
        const finish = (response: Omit<EndpointResponse, 'latencyMs'>) => {
          if (settled) return;
          settled = true;
          resolveResponse({ ...response, latencyMs: elapsed() });
        };
        const request = send(
          {
            host: checked.address,
            port: target.port || (target.protocol === 'https:' ? 443 : 80),
            path: `${target.pathname}${target.search}`,
            method: 'POST',
            // Verifies the certificate for the host name while connecting to the checked address.
            servername: ipaddr.isValid(target.hostname) ? undefined : target.hostname,
            headers: { ...headers, host: target.host, 'content-length': Buffer.byteLength(body) },
            signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
          },
          (response) => void readCapped(response).then((text) => finish(outcomeOf(response, text)), (error: Error) => finish({ ok: false, status: response.statusCode, error: error.message })),
        );
        request.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: error.name === 'AbortError' || error.name === 'TimeoutError' ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s` : `${error.code ?? error.name}: ${error.message}` }));
        request.end(body);
      });
    },
  };
}

function outcomeOf(response: IncomingMessage, body: string): Omit<EndpointResponse, 'latencyMs'> {
  const status = response.statusCode ?? 0;
  const ok = status >= 200 && status < 300;
  const redirect = status >= 300 && status < 400 ? `redirect to ${response.headers.location ?? '(no location)'} not followed: register the final URL` : undefined;
  return { ok, status, ...(ok ? {} : { error: redirect ?? `answered ${status}` }), ...(body ? { body } : {}) };
}

/** The first RESPONSE_BODY_CAP_BYTES of the body; the rest is not read. */
async function readCapped(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    size += chunk.length;
    if (size >= RESPONSE_BODY_CAP_BYTES) {
      response.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, RESPONSE_BODY_CAP_BYTES).toString('utf8');
}
