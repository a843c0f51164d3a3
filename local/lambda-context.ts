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
 * `getRemainingTimeInMillis()` (idempotency, batching) behaves as deployed. Like a warm
 * Lambda, one function's invocations share their log stream.
 */
export function createLambdaContext({ functionName, memoryMb, timeoutSeconds }: LocalInvocation): Context {
  const deadline = Date.now() + timeoutSeconds * 1000;
  return {
    ...containerOf(functionName, memoryMb),
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

const containers = new Map<string, Omit<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>>();

/** What stays the same from one invocation to the next in one execution environment: its name, ARN and log stream. */
function containerOf(functionName: string, memoryMb: number): Omit<Context, 'awsRequestId' | 'getRemainingTimeInMillis'> {
  const key = `${functionName}:${memoryMb}`;
  let container = containers.get(key);
  if (!container) {
    // The region the handlers are told they run in (see useLocalAwsEnvironment).
    const region = process.env.AWS_REGION ?? 'us-east-1';
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    container = {
      callbackWaitsForEmptyEventLoop: true,
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: `arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${functionName}`,
      memoryLimitInMB: String(memoryMb),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: `${today}/[$LATEST]${randomBytes(16).toString('hex')}`,
      // Legacy completion methods (callback handlers are gone from nodejs24.x); a handler
      // calling one would not complete the request here, so fail loudly instead.
      done: callbackCompletionUnsupported,
      fail: callbackCompletionUnsupported,
      succeed: callbackCompletionUnsupported,
    };
    containers.set(key, container);
  }
  return container;
}

function callbackCompletionUnsupported(): never {
  throw new Error('context.done/fail/succeed are not supported by the local gateway: return or throw from the async handler');
}
