import { vi } from 'vitest';

/**
 * The embedded-metric-format lines printed to stdout while `work` ran. Metrics are
 * switched on first and the modules reloaded, since the metrics emitter reads its
 * settings when it is created: `work` must import the handler itself.
 */
export async function emfDuring(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.resetModules();
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    await work();
  } finally {
    write.mockRestore();
    vi.unstubAllEnvs();
  }
  return lines.flatMap((line) => line.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line) as Record<string, unknown>);
}
