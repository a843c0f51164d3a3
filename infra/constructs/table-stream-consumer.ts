import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { FunctionDeclaration, Trigger } from '../../functions/manifest';
import { CrmFunction } from './crm-function';
import { createDeadLetterQueue } from './dead-letter-queue';
import type { CrmTable } from './crm-table';

export interface TableStreamConsumerProps {
  /** Its entry in functions/manifest.ts; its table access is besides reading the stream. */
  readonly declaration: FunctionDeclaration;
  readonly trigger: Extract<Trigger, { kind: 'stream' }>;
  readonly table: CrmTable;
  /** Directory that `definition.entry` and the lock file are relative to. */
  readonly projectRoot: string;
  readonly logRetention: RetentionDays;
  /** Settings the handler reads besides the table name, e.g. SEQUENCE_STATE_MACHINE_ARN. */
  readonly environment?: Record<string, string>;
}

/**
 * A Lambda fed by the CRM table's stream, filtered as its definition says, with a
 * dead-letter queue for the records it could not process. Its grants are here: its share
 * of the table (CrmFunction), reading the stream and sending to the queue (the event source).
 */
export class TableStreamConsumer extends Construct {
  readonly handler: NodejsFunction;
  /**
   * Where Lambda puts what it gave up on. A message describes a failed batch (stream,
   * shard, first and last sequence number, why it failed), not the records themselves.
   */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: TableStreamConsumerProps) {
    super(scope, id);
    const { declaration, trigger, table } = props;

    this.handler = new CrmFunction(this, 'Function', {
      declaration,
      table,
      projectRoot: props.projectRoot,
      logRetention: props.logRetention,
      environment: props.environment,
    }).handler;

    // A message only says where in the stream a batch failed, no record data.
    this.deadLetterQueue = createDeadLetterQueue(this, 'a stream event source mapping (its on-failure destination)');

    this.handler.addEventSource(
      new DynamoEventSource(table.table, {
        // From the oldest record the stream still holds: a consumer created, or re-created,
        // after a write still sees it.
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: trigger.batchSize,
        retryAttempts: trigger.maxRetries,
        // A failing record is retried alone (the handler reports it) or isolated by halving
        // the batch (a crash or timeout), so it cannot hold up the records around it for long.
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        filters: trigger.filterPatterns.map((pattern) => FilterCriteria.filter(pattern)),
        onFailure: new SqsDlq(this.deadLetterQueue),
      }),
    );
  }
}
