import type { Clock } from '../shared/table-port';
import { entrySize, MAX_ENTRIES_PER_REQUEST, MAX_ENTRY_BYTES, type CrmEvent } from './crm-events';

/** The bus, as the publisher needs it: adapters/eventbridge fills it in. */
export interface EventPublisher {
  /**
   * One PutEvents request (at most 10 entries, 256 KB together). Answers why each entry
   * the bus did not take failed, by position; throws when the request as a whole failed.
   */
  putEvents(events: readonly CrmEvent[]): Promise<{ readonly failed: readonly { readonly index: number; readonly reason: string }[] }>;
}

/**
 * A failed entry is tried again this often within one invocation, after pauses of 100 ms,
 * 200 ms, … 1.6 s (EventBridge throttles a burst by failing entries, not the request): about
 * 3 s. After that the stream record is handed back to Lambda, whose 10 retries of the batch
 * (each with these 3 s) and then its dead-letter queue take over.
 */
const ATTEMPTS = 6;
const FIRST_PAUSE_MS = 100;

export interface PublishOutcome {
  readonly published: number;
  /** The first change (by position) not all of whose events were published, and why; absent when all were. */
  readonly unpublished?: { readonly change: number; readonly reason: string };
}

/** Requests in order: up to 10 entries and 256 KB each. */
function requestsOf<T extends { event: CrmEvent }>(entries: readonly T[]): T[][] {
  const requests: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entrySize(entry.event);
    if (current.length === MAX_ENTRIES_PER_REQUEST || (current.length > 0 && bytes + size > MAX_ENTRY_BYTES)) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}

/**
 * Publishes the events of a batch of changes (one list per change, in stream order) in
 * that order, and stops at the first request it cannot get through: nothing after it is
 * sent, so the stream can hand the batch back from the first unpublished change and no
 * change is skipped. Consumers still order by `version`, not by arrival: EventBridge does
 * not keep order, and an entry retried here lands after the ones beside it. An event may
 * arrive twice (a retried batch re-sends what had gone through): its eventId is the same
 * every time.
 */
export async function publishInOrder(deps: { readonly publisher: EventPublisher; readonly clock: Clock }, eventsByChange: readonly (readonly CrmEvent[])[]): Promise<PublishOutcome> {
  const entries = eventsByChange.flatMap((events, change) => events.map((event) => ({ event, change })));
  let published = 0;
  for (const request of requestsOf(entries)) {
    let pending = request;
    let reason = '';
    for (let attempt = 0; attempt < ATTEMPTS && pending.length > 0; attempt++) {
      if (attempt > 0) await deps.clock.sleep(FIRST_PAUSE_MS * 2 ** (attempt - 1));
      try {
        const { failed } = await deps.publisher.putEvents(pending.map((entry) => entry.event));
        const failedAt = new Set(failed.map((failure) => failure.index));
        published += pending.length - failedAt.size;
        reason = failed[0]?.reason ?? '';
        pending = pending.filter((_, index) => failedAt.has(index));
      } catch (error) {
        reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
    if (pending.length > 0) return { published, unpublished: { change: Math.min(...pending.map((entry) => entry.change)), reason } };
  }
  return { published };
}
