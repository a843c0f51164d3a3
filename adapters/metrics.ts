import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one metrics emitter: CloudWatch embedded metric format, written with the logs,
 * so metrics cost no API calls. Locally and in tests POWERTOOLS_METRICS_DISABLED
 * keeps them off stdout.
 */
export const metrics = new Metrics({ namespace: 'CRM', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm' });
