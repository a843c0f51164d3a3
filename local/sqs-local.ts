import { createHash, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { SQSEvent, SQSBatchResponse } from 'aws-lambda';
import { functionsTriggeredBy, queueManifest, type FunctionDeclaration, type QueueName, type Trigger } from '../functions/manifest';
import { ServiceError, startAwsJsonEndpoint } from './aws-json-endpoint';
import { LOCAL_ACCOUNT_ID } from './http-api-event';
import { createLambdaContext } from './lambda-context';
import { createHandlerLoader, withTimeout } from './lambda-handlers';
import { LOCAL_REGION } from './local-arns';

/**
 * Locally, plays SQS and Lambda's event source mapping for the queues of functions/manifest.ts:
 * an endpoint for the AWS SDK (AWS JSON 1.0: SendMessage, SendMessageBatch,
 * ChangeMessageVisibility, DeleteMessage) and, for each queue with a consumer, a poller that
 * invokes the consumer's handler module with batches of visible messages. As deployed: a
 * received message is invisible for the visibility timeout, a message the handler reports
 * failed (ReportBatchItemFailures) or a batch that throws comes back when it is visible again,
 * ChangeMessageVisibility sets when, and a message received `maxReceiveCount` times goes to the
 * dead-letter queue. Unlike SQS, every wait is cut to `maxWaitSeconds` when that is set
 * (CRM_LOCAL_MAX_WAIT_SECONDS), so a retry schedule of hours runs in seconds.
 */

export type QueueConsumer = Pick<FunctionDeclaration, 'entry' | 'memoryMb' | 'timeoutSeconds'> & Omit<Extract<Trigger, { kind: 'queue' }>, 'kind'>;

/** The deployed queue consumers of functions/manifest.ts, by function name. */
export const deployedQueueConsumers = (): Record<string, QueueConsumer> =>
  Object.fromEntries(
    functionsTriggeredBy('queue').map(([name, { entry, memoryMb, timeoutSeconds, trigger }]) => [
      name,
      { entry, memoryMb, timeoutSeconds, queue: trigger.queue, batchSize: trigger.batchSize, maxConcurrency: trigger.maxConcurrency },
    ]),
  );

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receiptHandle?: string;
  /** The consumer set its visibility (its backoff) since it was received. */
  visibilitySet?: boolean;
}

export interface SqsLocal {
  readonly endpoint: string;
  /** The queue's URL, as the stack passes it in the queue's `urlSetting`. */
  urlOf(queue: QueueName): string;
  /** Resolves once every queue is empty: each message deleted or dead-lettered. */
  drain(): Promise<void>;
  /** The messages given up on, by queue. */
  deadLetters(queue: QueueName): readonly { readonly id: string; readonly body: string }[];
  stop(): Promise<void>;
}

const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
const POLL_INTERVAL_MS = 50;
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

export async function startSqsLocal({
  consumers = deployedQueueConsumers(),
  maxWaitSeconds,
  rootDir = REPOSITORY_ROOT,
  port = 0,
}: {
  consumers?: Readonly<Record<string, QueueConsumer>>;
  maxWaitSeconds?: number;
  rootDir?: string;
  port?: number;
} = {}): Promise<SqsLocal> {
  const queues = new Map<QueueName, Map<string, StoredMessage>>((Object.keys(queueManifest) as QueueName[]).map((name) => [name, new Map()]));
  const dead = new Map<QueueName, { id: string; body: string }[]>();
  const capped = (seconds: number) => (maxWaitSeconds === undefined ? seconds : Math.min(seconds, maxWaitSeconds)) * 1000;
  let endpoint = '';
  const urlOf = (queue: QueueName) => `${endpoint}/${LOCAL_ACCOUNT_ID}/${queue}`;

  function queueOf(request: Record<string, unknown>): [QueueName, Map<string, StoredMessage>] {
    const url = String(request.QueueUrl ?? '');
    const name = url.slice(url.lastIndexOf('/') + 1) as QueueName;
    const messages = queues.get(name);
    if (!messages) throw new ServiceError('QueueDoesNotExist', `The specified queue does not exist: ${url}`);
    return [name, messages];
  }
  function send(messages: Map<string, StoredMessage>, body: unknown, delaySeconds: unknown) {
    if (typeof body !== 'string' || body.length === 0) throw new ServiceError('InvalidParameterValue', 'MessageBody is required.');
    if (Buffer.byteLength(body) > 256 * 1024) throw new ServiceError('InvalidParameterValue', 'MessageBody is longer than 262,144 bytes.');
    const message: StoredMessage = { id: randomUUID(), body, md5: md5(body), sentAt: Date.now(), visibleAt: Date.now() + capped(Number(delaySeconds ?? 0)), receiveCount: 0 };
    messages.set(message.id, message);
    wake();
    return { MessageId: message.id, MD5OfMessageBody: message.md5 };
  }
  function byReceipt(messages: Map<string, StoredMessage>, handle: unknown): StoredMessage {
    const message = [...messages.values()].find((candidate) => candidate.receiptHandle !== undefined && candidate.receiptHandle === handle);
    if (!message) throw new ServiceError('ReceiptHandleIsInvalid', `The receipt handle ${String(handle)} is not valid.`);
    return message;
  }

  const server = await startAwsJsonEndpoint({
    targetPrefix: 'AmazonSQS',
    protocolVersion: '1.0',
    logTag: '[sqs]',
    port,
    operations: {
      SendMessage: (request) => send(queueOf(request)[1], request.MessageBody, request.DelaySeconds),
      SendMessageBatch(request) {
        const [, messages] = queueOf(request);
        const entries = request.Entries as { Id: string; MessageBody: string; DelaySeconds?: number }[] | undefined;
        if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) throw new ServiceError('TooManyEntriesInBatchRequest', 'A batch holds 1 to 10 entries.');
        return { Successful: entries.map((entry) => ({ Id: entry.Id, ...send(messages, entry.MessageBody, entry.DelaySeconds) })), Failed: [] };
      },
      ChangeMessageVisibility(request) {
        const seconds = Number(request.VisibilityTimeout);
        if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43_200) throw new ServiceError('InvalidParameterValue', 'VisibilityTimeout must be 0 to 43200 seconds.');
        const message = byReceipt(queueOf(request)[1], request.ReceiptHandle);
        message.visibleAt = Date.now() + capped(seconds);
        message.visibilitySet = true;
        return {};
      },
      DeleteMessage(request) {
        const [, messages] = queueOf(request);
        messages.delete(byReceipt(messages, request.ReceiptHandle).id);
        return {};
      },
    },
    inspect(url) {
      const name = url.pathname.slice(1) as QueueName;
      const messages = queues.get(name);
      if (!messages) return undefined;
      return { messages: [...messages.values()].map(({ id, body, receiveCount, visibleAt }) => ({ id, body, receiveCount, visibleAt: new Date(visibleAt).toISOString() })), deadLetters: dead.get(name) ?? [] };
    },
  });
  endpoint = server.endpoint;

  const loadHandler = createHandlerLoader(rootDir);
  const running = new Map<string, number>();
  const invocations = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function invoke(name: string, consumer: QueueConsumer, batch: StoredMessage[]): Promise<void> {
    const messages = queues.get(consumer.queue)!;
    const handles = new Map(batch.map((message) => [message.id, message.receiptHandle]));
    const event: SQSEvent = {
      Records: batch.map((message) => ({
        messageId: message.id,
        receiptHandle: message.receiptHandle!,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receiveCount),
          SentTimestamp: String(message.sentAt),
          SenderId: LOCAL_ACCOUNT_ID,
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: message.md5,
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${consumer.queue}`,
        awsRegion: LOCAL_REGION,
      })),
    };
    let failed: Set<string>;
    try {
      const handler = await loadHandler(consumer.entry);
      const context = createLambdaContext({ functionName: name, memoryMb: consumer.memoryMb, timeoutSeconds: consumer.timeoutSeconds });
      const response = (await withTimeout(consumer.timeoutSeconds, async () => handler(event, context))) as SQSBatchResponse | undefined;
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      console.error(`[sqs] ${name} failed a batch of ${batch.length} (retried when visible again): ${String(error)}`);
      failed = new Set(batch.map((message) => message.id));
    }
    for (const message of batch) {
      // Only if not received again meanwhile (its visibility ran out).
      if (messages.get(message.id)?.receiptHandle !== handles.get(message.id)) continue;
      if (!failed.has(message.id)) messages.delete(message.id);
      // A failed message is visible again when its visibility timeout ends: capped here, like every wait.
      else if (!message.visibilitySet) message.visibleAt = Math.min(message.visibleAt, Date.now() + capped(consumer.timeoutSeconds * 6));
    }
  }

  function poll(): void {
    if (stopped) return;
    const now = Date.now();
    for (const [name, consumer] of Object.entries(consumers)) {
      const messages = queues.get(consumer.queue)!;
      while ((running.get(name) ?? 0) < consumer.maxConcurrency) {
        const visible = [...messages.values()].filter((message) => message.visibleAt <= now).slice(0, consumer.batchSize);
        if (visible.length === 0) break;
        const batch: StoredMessage[] = [];
        for (const message of visible) {
          message.receiveCount += 1;
          if (message.receiveCount > queueManifest[consumer.queue].maxReceiveCount) {
            messages.delete(message.id);
            dead.set(consumer.queue, [...(dead.get(consumer.queue) ?? []), { id: message.id, body: message.body }]);
            console.error(`[sqs] ${consumer.queue}: message ${message.id} dead-lettered after ${message.receiveCount - 1} receives: ${message.body}`);
            continue;
          }
          message.receiptHandle = randomUUID();
          message.visibilitySet = false;
          // SQS's visibility timeout for a Lambda source (six times its timeout, as the stack sets it), while in flight.
          message.visibleAt = now + consumer.timeoutSeconds * 6 * 1000;
          batch.push(message);
        }
        if (batch.length === 0) continue;
        running.set(name, (running.get(name) ?? 0) + 1);
        const invocation = invoke(name, consumer, batch).finally(() => {
          running.set(name, (running.get(name) ?? 1) - 1);
          invocations.delete(invocation);
          wake();
        });
        invocations.add(invocation);
      }
    }
    schedule();
  }
  function schedule(): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(poll, POLL_INTERVAL_MS);
  }
  function wake(): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(poll, 0);
  }
  schedule();

  return {
    endpoint,
    urlOf,
    deadLetters: (queue) => dead.get(queue) ?? [],
    async drain() {
      while ([...queues.values()].some((messages) => messages.size > 0) || invocations.size > 0) {
        await Promise.all(invocations);
        await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...invocations]);
      await server.close();
    },
  };
}
