import { describe, expect, it, vi } from 'vitest';
import { emfDuring } from '../support/emf';

describe('request metrics', () => {
  it('emits embedded-metric-format lines with the request count', async () => {
    vi.stubEnv('TABLE_NAME', 'metrics-test');
    const context = { functionName: 'meta', awsRequestId: 'r1', getRemainingTimeInMillis: () => 1000 } as never;
    const event = (routeKey: string) => ({ version: '2.0', routeKey, rawPath: routeKey.split(' ')[1], rawQueryString: '', headers: {}, requestContext: { requestId: 'r1', http: { method: 'GET' } }, isBase64Encoded: false }) as never;
    const emf = await emfDuring(async () => (await import('../../functions/meta')).handler(event('GET /health'), context));
    const requests = emf.find((entry) => entry.Requests !== undefined);
    expect(requests).toMatchObject({ service: 'crm', Requests: 1, _aws: { CloudWatchMetrics: [{ Namespace: 'CRM', Dimensions: [['service']] }] } });
  });
});
