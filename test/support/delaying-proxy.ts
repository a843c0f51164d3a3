import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface DelayingProxy {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * An HTTP proxy in front of DynamoDB Local that holds chosen calls back before passing
 * them on: how a test stretches a request that would otherwise finish before it can be
 * interrupted. `delayMs` gets the call's operation (TransactWriteItems, …) and how many
 * calls of that operation came before it.
 */
export async function startDelayingProxy(target: string, delayMs: (operation: string, earlier: number) => number): Promise<DelayingProxy> {
  const counts = new Map<string, number>();
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const operation = String(request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
    const earlier = counts.get(operation) ?? 0;
    counts.set(operation, earlier + 1);
    await new Promise((resolve) => setTimeout(resolve, delayMs(operation, earlier)));
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)) as [string, string][]);
    try {
      const answer = await fetch(new URL(request.url ?? '/', target), { method: request.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
      response.writeHead(answer.status, Object.fromEntries(answer.headers.entries()));
      response.end(Buffer.from(await answer.arrayBuffer()));
    } catch {
      response.destroy();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
