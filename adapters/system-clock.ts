import type { Clock } from '../domain/shared/table-port';

/** The real time, and real waits: what every Lambda's use cases run on. */
export const systemClock: Clock = { now: () => new Date(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };
