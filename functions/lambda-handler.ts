import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';

/**
 * The one middy stack every CRM Lambda runs in (API, stream consumers, event rules,
 * state machine tasks): the logger gets the invocation's context, and metrics are flushed
 * once the invocation ends. The work is a plain function from event to result, so it is
 * tested and reused without middy; middleware first, handler last.
 */
export function lambdaHandler<Event, Result>(work: (event: Event, context: Context) => Promise<Result>) {
  return middy<Event, Result, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(work);
}
