import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule, type EventPattern, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Trigger } from '../../functions/manifest';
import { CrmFunction, type CrmFunctionProps } from './crm-function';
import { createDeadLetterQueue } from './dead-letter-queue';

/**
 * How often Lambda itself retries a failed asynchronous invocation: its maximum. EventBridge
 * hands an event to Lambda asynchronously, so the rule's own retries (`maxRetries`) only
 * cover getting the event to Lambda; a handler that throws is retried by Lambda.
 */
const handlerRetries = 2;

export interface EventRuleFunctionProps extends CrmFunctionProps {
  readonly trigger: Extract<Trigger, { kind: 'eventRule' }>;
  /** The pattern as deployed (functions/manifest.ts deployedEventPattern), which the local event bus matches with too. */
  readonly eventPattern: Record<string, unknown>;
  /** The stage's own bus, for a rule on `bus: 'crm'`. */
  readonly crmBus: IEventBus;
}

/**
 * A Lambda invoked by an EventBridge rule with its definition's pattern, and the one
 * dead-letter queue for every event it could not process: events EventBridge could not
 * deliver after `maxRetries` (the rule target's DLQ) and events whose handler kept failing
 * (the function's on-failure destination). Its grants are here: its share of the table
 * (CrmFunction), sending to the queue (the destination), being invoked by the rule (the target).
 */
export class EventRuleFunction extends Construct {
  readonly handler: NodejsFunction;
  readonly rule: Rule;
  /**
   * Holds the event itself, in one of two shapes: an EventBridge dead letter (the event, with
   * ERROR_CODE and ERROR_MESSAGE attributes) or a Lambda failure record (the event as
   * `requestPayload`, the error as `responsePayload`).
   */
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: EventRuleFunctionProps) {
    super(scope, id);
    const { declaration, trigger } = props;

    this.handler = new CrmFunction(this, 'Function', props).handler;

    // Its messages are whole events (for SES events: recipient addresses and subjects).
    this.deadLetterQueue = createDeadLetterQueue(this, "an EventBridge rule target and of its function's asynchronous invocations");

    this.handler.configureAsyncInvoke({
      retryAttempts: handlerRetries,
      // Lambda's maximum: an event that waited longer (throttling) still reaches the queue.
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetterQueue),
    });

    this.rule = new Rule(this, 'Rule', {
      description: `Invokes ${declaration.entry} (functions/manifest.ts)`,
      eventBus: trigger.bus === 'crm' ? props.crmBus : EventBus.fromEventBusName(this, 'Bus', trigger.bus),
      eventPattern: props.eventPattern as EventPattern,
      targets: [
        new LambdaFunction(this.handler, {
          retryAttempts: trigger.maxRetries,
          // EventBridge's maximum: keep retrying delivery through a day-long Lambda outage.
          maxEventAge: Duration.hours(24),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
  }
}
