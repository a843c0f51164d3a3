import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

/**
 * What every local stand-in for a Lambda trigger (gateway, event bus, Step Functions)
 * needs to run a handler module in this process as Lambda would: import it once, on
 * first use, and give up on an invocation at the function's timeout.
 */

export type LambdaHandler = (event: unknown, context: Context) => unknown;

/** Lambda's own name for a function that ran past its timeout (the errorType Step Functions and async invokes see). */
export class LambdaTimeoutError extends Error {
  constructor(timeoutSeconds: number) {
    super(`Task timed out after ${timeoutSeconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/**
 * Imports each handler module on its first invocation only, like a cold start, and
 * keeps it warm. Entries are relative to `rootDir`. A failed import is not cached, so
 * a module written while the local runtime runs is picked up on the next invocation.
 */
export function createHandlerLoader(rootDir: string): (entry: string) => Promise<LambdaHandler> {
  const loaded = new Map<string, Promise<LambdaHandler>>();
  return (entry) => {
    let handler = loaded.get(entry);
    if (!handler) {
      handler = importHandler(resolve(rootDir, entry));
      handler.catch(() => loaded.delete(entry));
      loaded.set(entry, handler);
    }
    return handler;
  };
}

async function importHandler(path: string): Promise<LambdaHandler> {
  const module: { handler?: unknown } = await import(pathToFileURL(path).href);
  if (typeof module.handler !== 'function') throw new Error(`${path} does not export a handler function`);
  return module.handler as LambdaHandler;
}

/**
 * Lambda ends an invocation at its timeout. Here the handler cannot be stopped, only
 * abandoned: it runs on in the background while the caller sees the timeout.
 */
export async function withTimeout<T>(timeoutSeconds: number, invoke: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(timeoutSeconds)), timeoutSeconds * 1000);
  });
  try {
    return await Promise.race([invoke(), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
