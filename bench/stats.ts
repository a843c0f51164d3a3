/** Summary statistics of timing samples (milliseconds). */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
}

/** Nearest-rank percentile: the sample below which `p` percent of samples fall; never interpolated. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);
export const mean = (samples: readonly number[]) => (samples.length === 0 ? Number.NaN : samples.reduce((sum, value) => sum + value, 0) / samples.length);

export function summarize(samples: readonly number[]): Summary {
  return { n: samples.length, mean: mean(samples), p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Milliseconds `work` took, wall clock. */
export async function timeIt(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

/** a / b, or NaN when b is 0 (a ratio against nothing means nothing). */
export const ratio = (a: number, b: number) => (b === 0 ? Number.NaN : a / b);
