import { setTimeout as sleep } from 'node:timers/promises';
import { sesEventsFor, type SesEvent } from './ses-events';
import type { SesStore } from './ses-local';

/**
 * Locally, plays SES's event publishing through a configuration set with an EventBridge
 * destination: watches the local SES store and, for every new email sent with that
 * configuration set, publishes the delivery, bounce and complaint events SES would (see
 * ses-events.ts; mail to the mailbox simulator addresses bounces or complains). Mail
 * sent without it gets no events, as deployed.
 */

export interface SesEventSourceOptions {
  /** The local SES's `storeUrl`. */
  storeUrl: string;
  /** The configuration set whose EventBridge destination this plays. */
  configurationSetName: string;
  /** Where the events go: the local event bus. */
  publish: (event: SesEvent) => unknown;
  region?: string;
  pollIntervalMs?: number;
}

export interface SesEventSource {
  /** Handles every email in the store now, and resolves with the events it published. */
  poll(): Promise<SesEvent[]>;
  stop(): Promise<void>;
}

export function startSesEventSource({ storeUrl, configurationSetName, publish, region = 'us-east-1', pollIntervalMs = 500 }: SesEventSourceOptions): SesEventSource {
  const handled = new Set<string>();
  const stopping = new AbortController();

  async function pollOnce(): Promise<SesEvent[]> {
    const response = await fetch(storeUrl);
    if (!response.ok) throw new Error(`GET ${storeUrl} answered ${response.status}`);
    const { emails } = (await response.json()) as SesStore;
    const published: SesEvent[] = [];
    for (const email of emails.filter((candidate) => !handled.has(candidate.messageId))) {
      // Marked before publishing: a failing publish is logged once, not repeated on every poll.
      handled.add(email.messageId);
      if (email.configurationSetName !== configurationSetName) continue;
      for (const event of sesEventsFor(email, { configurationSetName, region, now: new Date() })) {
        await publish(event);
        published.push(event);
      }
    }
    return published;
  }

  // Polls run one at a time, so no email is handled twice.
  let chain: Promise<unknown> = Promise.resolve();
  const poll = () => {
    const run = chain.then(pollOnce);
    chain = run.catch(() => undefined);
    return run;
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      await poll().catch((error: unknown) => console.error('[ses events] poll failed:', error));
      await sleep(pollIntervalMs, undefined, { signal: stopping.signal }).catch(() => undefined);
    }
  })();

  return {
    poll,
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}
