import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger: structured JSON on every line, with the Lambda request id once the handler injects its context. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'crm' });
