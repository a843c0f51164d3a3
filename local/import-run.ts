import { setTimeout as sleep } from 'node:timers/promises';
import { runImportRangeStep, runImportStep, type ImportDependencies } from '../domain/imports/imports';

/**
 * An import's run in this process, as the import state machine runs it (infra/state-machines/
 * run-loop.ts): steps until done, the ranges a step hands out written `concurrency` at once
 * (its Map state), each a loop of range steps, and a step that throws run again, up to
 * `attempts` times (its Retry; DynamoDB Local refuses a transaction now and then when it
 * waits too long for a lock). For the bench and tests that drive the domain without the
 * local Step Functions endpoint.
 */
export async function runImportInProcess(deps: ImportDependencies, id: string, { attempts = 5, pauseMs = 1_000 } = {}): Promise<{ readonly rangesHandedOut: readonly (readonly number[])[]; readonly mostRangesAtOnce: number }> {
  const retried = async <T>(step: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await step();
      } catch (error) {
        if (attempt >= attempts) throw error;
        // As the Retry pauses (10 s, tripled, deployed): the transactions that held the locks finish meanwhile.
        await sleep(pauseMs * 3 ** (attempt - 1));
      }
    }
  };
  const rangesHandedOut: number[][] = [];
  let running = 0;
  let mostRangesAtOnce = 0;
  for (;;) {
    const step = await retried(() => runImportStep(deps, id, () => true));
    if (step.done) return { rangesHandedOut, mostRangesAtOnce };
    if (!step.ranges) continue;
    rangesHandedOut.push([...step.ranges]);
    const left = [...step.ranges];
    const writer = async () => {
      for (let range = left.shift(); range !== undefined; range = left.shift()) {
        running++;
        mostRangesAtOnce = Math.max(mostRangesAtOnce, running);
        while (!(await retried(() => runImportRangeStep(deps, id, range, () => true))).done);
        running--;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, step.concurrency ?? 1) }, writer));
  }
}
