import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { LOCAL_ACCOUNT_ID } from './http-api-event';

export interface LocalInvocation {
  functionName: string;
  memoryMb: number;
  timeoutSeconds: number;
}

/**
 * The Lambda context for one invocation: a fresh request id, and a clock that counts
 * down from the function's timeout like the real one, so code that checks
 * `getRemainingTimeInMillis()` (idempotency, batching) behaves as deployed.
 */
export function createLambdaContext({ functionName, memoryMb, timeoutSeconds }: LocalInvocation): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  // The region the handlers are told they run in (see useLocalAwsEnvironment).
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${today}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    // Legacy completion methods (callback handlers are gone from nodejs24.x); a handler
    // calling one would not complete the request here, so fail loudly instead.
    done: callbackCompletionUnsupported,
    fail: callbackCompletionUnsupported,
    succeed: callbackCompletionUnsupported,
  };
}

function callbackCompletionUnsupported(): never {
  throw new Error('context.done/fail/succeed are not supported by the local gateway: return or throw from the async handler');
}
