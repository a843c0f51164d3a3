import { Duration } from 'aws-cdk-lib';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { queueManifest, type QueueName, type Trigger } from '../../functions/manifest';
import { CrmFunction, type CrmFunctionProps } from './crm-function';
import { createDeadLetterQueue } from './dead-letter-queue';

export interface QueueFunctionProps extends CrmFunctionProps {
  readonly trigger: Extract<Trigger, { kind: 'queue' }>;
  /** The queue, made before its consumer (functions that send to it need it first): see `createCrmQueue`. */
  readonly queue: CrmQueue;
}

export interface CrmQueue {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

/**
 * A queue of functions/manifest.ts `queueManifest`: encrypted, TLS only, kept as long as its
 * declaration says, and its dead-letter queue for messages received `maxReceiveCount` times
 * without being deleted (a consumer that keeps crashing on them).
 */
export function createCrmQueue(scope: Construct, name: QueueName, consumerTimeoutSeconds: number): CrmQueue {
  const declared = queueManifest[name];
  const holder = new Construct(scope, `${name.charAt(0).toUpperCase()}${name.slice(1)}Queue`);
  const deadLetterQueue = createDeadLetterQueue(holder, `the ${name} queue`, { inRedrivePolicy: true });
  const queue = new Queue(holder, 'Queue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(declared.retentionDays),
    // AWS's advice for a Lambda event source: six times the function's timeout, so a batch retried after throttling is not offered twice.
    visibilityTimeout: Duration.seconds(consumerTimeoutSeconds * 6),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: declared.maxReceiveCount },
  });
  return { queue, deadLetterQueue };
}

/**
 * A Lambda consuming one of the CRM's queues through an event source mapping: failed
 * messages are reported one by one (ReportBatchItemFailures), concurrency is capped so a
 * burst of messages cannot take the account's Lambda concurrency from the API.
 */
export class QueueFunction extends Construct {
  readonly handler: NodejsFunction;
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: QueueFunctionProps) {
    super(scope, id);
    const { trigger } = props;
    this.handler = new CrmFunction(this, 'Function', props).handler;
    this.queue = props.queue.queue;
    this.deadLetterQueue = props.queue.deadLetterQueue;
    this.handler.addEventSource(
      new SqsEventSource(this.queue, { batchSize: trigger.batchSize, maxConcurrency: trigger.maxConcurrency, reportBatchItemFailures: true }),
    );
    // Its own messages' visibility is its backoff (ChangeMessageVisibility): consume grants it.
    this.queue.grantConsumeMessages(this.handler);
  }
}
