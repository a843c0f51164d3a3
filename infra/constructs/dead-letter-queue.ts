import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A dead-letter queue an operator works from: encrypted at rest with SQS's own key,
 * readable only over TLS, and kept 14 days (the maximum), which outlasts a long weekend
 * and a slow investigation. `feeds` names what it is the dead-letter queue of, for the
 * cdk-nag acknowledgement (a DLQ needs no DLQ of its own).
 */
export function createDeadLetterQueue(scope: Construct, feeds: string, { inRedrivePolicy = false }: { readonly inRedrivePolicy?: boolean } = {}): Queue {
  const queue = new Queue(scope, 'DeadLetterQueue', {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  // cdk-nag follows a queue's redrive policy to its dead-letter queue and reports nothing
  // there; only queues named by a rule's, a schedule's or a Lambda's on-failure setting need saying so.
  if (inRedrivePolicy) return queue;
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      `This queue is itself the dead-letter queue of ${feeds}. Nothing consumes it automatically: an operator reads its ` +
      'messages, fixes the cause and resumes the work, and an alarm fires as soon as it holds a message.',
  });
  return queue;
}
