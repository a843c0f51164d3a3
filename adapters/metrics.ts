import { Metrics } from '@aws-lambda-powertools/metrics';
import { logger } from './logger';

/**
 * Powertools warns each time it flushes no metric, which most requests do (a metric is added
 * only where something is measured): in Lambda every warning is a CloudWatch Logs line, and
 * `npm start` printed thousands. That warning is dropped; anything else it says goes to the
 * one logger.
 */
const NO_METRICS_WARNING = 'No application metrics to publish';
const metricsLogger = {
  trace: (...content: unknown[]) => logger.debug(String(content[0]), ...(content.slice(1) as [])),
  debug: (...content: unknown[]) => logger.debug(String(content[0]), ...(content.slice(1) as [])),
  info: (...content: unknown[]) => logger.info(String(content[0]), ...(content.slice(1) as [])),
  warn: (...content: unknown[]) => (String(content[0]).startsWith(NO_METRICS_WARNING) ? undefined : logger.warn(String(content[0]), ...(content.slice(1) as []))),
  error: (...content: unknown[]) => logger.error(String(content[0]), ...(content.slice(1) as [])),
};

/**
 * The one metrics emitter: CloudWatch embedded metric format, written with the logs,
 * so metrics cost no API calls. Locally and in tests POWERTOOLS_METRICS_DISABLED
 * keeps them off stdout.
 */
export const metrics = new Metrics({ namespace: 'CRM', serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm', logger: metricsLogger });
