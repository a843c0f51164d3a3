/** Runs `work` on every value, at most `concurrency` at a time, in order of start; resolves when all are done. */
export async function inParallel<T>(values: readonly T[], concurrency: number, work: (value: T) => Promise<unknown>): Promise<void> {
  const queue = [...values];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let value = queue.shift(); value !== undefined; value = queue.shift()) await work(value);
    }),
  );
}
