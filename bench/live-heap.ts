import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';

/**
 * Runs `work` while measuring, every `everyMs`, the heap still in use after a full collection:
 * what the work holds, not the garbage it has yet to have collected. Answers its peak above the
 * heap at the start, in MiB. Without --expose-gc there is no honest figure: it throws.
 */
export async function peakLiveHeapDuring(work: () => Promise<void>, everyMs = 10): Promise<number> {
  const collect = globalThis.gc;
  if (!collect) throw new Error('the bench measures memory after collections: run it with node --expose-gc (npm run bench does)');
  // The bench's capacity meter keeps every call's output until taken: it is dropped, not counted.
  takeMeteredCalls();
  collect();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const sampler = setInterval(() => {
    takeMeteredCalls();
    collect();
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }, everyMs);
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  return Math.max(0, peak - before) / 2 ** 20;
}
