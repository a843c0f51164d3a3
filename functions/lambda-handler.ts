import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger } from '../adapters/logger';
import { metrics } from '../adapters/metrics';

/**
 * The one middy stack every CRM Lambda runs in (API, stream consumers, event rules,
 * state machine tasks): the logger gets the invocation's context, metrics are flushed once
 * the invocation ends, and an error thrown out of the work is logged before it reaches the
 * caller. The work is a plain function from event to result, so it is tested and reused
 * without middy; middleware first, handler last.
 */
export function lambdaHandler<Event, Result>(work: (event: Event, context: Context) => Promise<Result>) {
  return middy<Event, Result, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .handler(async (event, context) => {
      try {
        return await work(event, context);
      } catch (error) {
        // What throws here is retried by its caller (a state machine's Retry, an event rule, a queue): the retry hides the cause unless it is logged with the invocation's keys.
        logger.error('invocation failed; its caller retries or gives up', error as Error);
        throw error;
      }
    });
}
