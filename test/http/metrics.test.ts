import { describe, expect, it, vi } from 'vitest';

describe('request metrics', () => {
  it('emits embedded-metric-format lines with the request count', async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    vi.stubEnv('TABLE_NAME', 'metrics-test');
    vi.resetModules();
    const lines: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const { handler } = await import('../../functions/meta');
      const context = { functionName: 'meta', awsRequestId: 'r1', getRemainingTimeInMillis: () => 1000 } as never;
      const event = (routeKey: string) => ({ version: '2.0', routeKey, rawPath: routeKey.split(' ')[1], rawQueryString: '', headers: {}, requestContext: { requestId: 'r1', http: { method: 'GET' } }, isBase64Encoded: false }) as never;
      await handler(event('GET /health'), context);
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
    }
    const emf = lines.flatMap((line) => line.split('\n')).filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));
    const requests = emf.find((entry) => entry.Requests !== undefined);
    expect(requests).toMatchObject({ service: 'crm', Requests: 1, _aws: { CloudWatchMetrics: [{ Namespace: 'CRM', Dimensions: [['service']] }] } });
  });
});
