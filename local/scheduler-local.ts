import { fileURLToPath } from 'node:url';
import { functionsTriggeredBy, type FunctionName, type ScheduleRate } from '../functions/manifest';
import { createLambdaContext } from './lambda-context';
import { createHandlerLoader, withTimeout } from './lambda-handlers';

/**
 * EventBridge Scheduler, locally: each function of functions/manifest.ts with a `schedule`
 * trigger is invoked at its rate (or every `maxWaitSeconds`, when set, so a day's schedule
 * can be watched in minutes), with `{ scheduledTime }` as Scheduler sends it. A failed
 * tick is retried up to the declaration's `maxRetries` with the same scheduled time.
 */

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const UNIT_SECONDS = { minute: 60, minutes: 60, hour: 3_600, hours: 3_600 } as const;

/** Seconds between ticks of a `rate(N unit)` expression. */
export function rateSeconds(expression: ScheduleRate): number {
  const match = /^rate\((\d+) (minutes?|hours?)\)$/.exec(expression);
  if (!match) throw new Error(`Not a schedule rate the local scheduler knows: ${expression}`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

export interface LocalScheduler {
  /** Invokes a scheduled function now (or for `scheduledTime`), as a tick would; resolves when it has run. */
  fire(name: FunctionName, scheduledTime?: Date): Promise<void>;
  stop(): Promise<void>;
}

export function startLocalScheduler({
  maxWaitSeconds,
  rootDir = REPOSITORY_ROOT,
  ticks = true,
}: { readonly maxWaitSeconds?: number; readonly rootDir?: string; /** False: only `fire` invokes. */ readonly ticks?: boolean } = {}): LocalScheduler {
  const scheduled = new Map(functionsTriggeredBy('schedule'));
  const loadHandler = createHandlerLoader(rootDir);
  const running = new Set<Promise<void>>();

  async function fire(name: FunctionName, scheduledTime = new Date()): Promise<void> {
    const declaration = scheduled.get(name);
    if (!declaration) throw new Error(`${name} has no schedule in functions/manifest.ts`);
    // Scheduler sends the time without milliseconds.
    const event = { scheduledTime: scheduledTime.toISOString().replace(/\.\d{3}Z$/, 'Z') };
    for (let attempt = 0; ; attempt++) {
      try {
        const handler = await loadHandler(declaration.entry);
        const context = createLambdaContext({ functionName: name, memoryMb: declaration.memoryMb, timeoutSeconds: declaration.timeoutSeconds });
        await withTimeout(declaration.timeoutSeconds, async () => handler(structuredClone(event), context));
        return;
      } catch (error) {
        if (attempt >= declaration.trigger.maxRetries) {
          console.error(`[scheduler] ${name} failed for ${event.scheduledTime} after ${attempt + 1} attempts: ${(error as Error).message}`);
          return;
        }
      }
    }
  }

  const timers = [...scheduled].filter(() => ticks).map(([name, declaration]) => {
    const seconds = maxWaitSeconds === undefined ? rateSeconds(declaration.trigger.expression) : Math.max(1, Math.min(maxWaitSeconds, rateSeconds(declaration.trigger.expression)));
    return setInterval(() => {
      const tick = fire(name).finally(() => running.delete(tick));
      running.add(tick);
    }, seconds * 1000);
  });

  return {
    fire,
    async stop() {
      for (const timer of timers) clearInterval(timer);
      await Promise.all(running);
    },
  };
}
