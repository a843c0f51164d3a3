import { ContentionError, PreconditionFailedError } from './errors';
import type { Clock } from './table-port';

/**
 * The versions a client's If-Match names (RFC 9110: a list, compared strongly). Present
 * means the client wants its change applied only to one of these versions; empty means
 * nothing it sent can match.
 */
export type IfMatch = readonly number[];

/** Throws the 412 when the client's If-Match names none of the versions the item is at. */
export function requireIfMatch(ifMatch: IfMatch | undefined, currentVersion: number): void {
  if (ifMatch !== undefined && !ifMatch.includes(currentVersion)) throw new PreconditionFailedError(currentVersion);
}

/**
 * How long a write keeps retrying lost races before it answers 409: inside the 29 s of every
 * function that writes (a test holds the manifest to it), so a request that lost every race
 * still gets an answer, not a timeout.
 */
export const RETRY_BUDGET_MS = 20_000;
/**
 * Pauses double from a few milliseconds (two writers: the loser is done almost at once)
 * up to a second, a window wide enough for 50 writers of one item to take turns instead
 * of failing each other's attempts (measured on DynamoDB Local: 6 s for all 50, where a
 * 250 ms cap took 9 s).
 */
const FIRST_PAUSE_MS = 4;
const LONGEST_PAUSE_MS = 1_000;

export interface RaceTarget {
  /** Named in the 409 when the races never stop: `contact 01H…`. */
  readonly resource: string;
  readonly id: string;
  /** The client's If-Match: losing a race is then its 412, not something to retry. */
  readonly ifMatch?: IfMatch;
}

/**
 * The one optimistic-locking loop. `attempt` reads, decides and writes conditioned on the
 * version it read; when another writer got there first (PreconditionFailedError from the
 * condition, ContentionError from the store) it runs again on what that writer left. A
 * client without If-Match asked for "apply my change", so it gets that; one with If-Match
 * asked for "only on the version I saw", so it gets the 412. Pauses grow exponentially with
 * full jitter, so writers that collided do not collide again in lockstep.
 */
export async function retryLostRaces<T>(clock: Clock, target: RaceTarget, attempt: () => Promise<T>): Promise<T> {
  const deadline = clock.now().getTime() + RETRY_BUDGET_MS;
  for (let round = 0; ; round++) {
    try {
      return await attempt();
    } catch (error) {
      const lostRace = error instanceof ContentionError || (error instanceof PreconditionFailedError && target.ifMatch === undefined);
      if (!lostRace) throw error;
      const pause = Math.random() * Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** round);
      if (clock.now().getTime() + pause >= deadline) throw new ContentionError(target.resource, target.id);
      await clock.sleep(pause);
    }
  }
}
