import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ContextAttribute, Schedule, ScheduleExpression, ScheduleTargetInput, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Trigger } from '../../functions/manifest';
import { CrmFunction, type CrmFunctionProps } from './crm-function';
import { createDeadLetterQueue } from './dead-letter-queue';

export interface ScheduledFunctionProps extends CrmFunctionProps {
  readonly trigger: Extract<Trigger, { kind: 'schedule' }>;
}

/**
 * A Lambda invoked by an EventBridge Scheduler schedule at the declaration's rate, with
 * the time each invocation is for (`scheduledTime`, the same on every retry of it, so the
 * handler decides the same way twice). Invocations Scheduler could not deliver after
 * `maxRetries` go to a dead-letter queue; no flexible window, so ticks come on time.
 */
export class ScheduledFunction extends Construct {
  readonly handler: NodejsFunction;
  readonly schedule: Schedule;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: ScheduledFunctionProps) {
    super(scope, id);
    const { declaration, trigger } = props;

    this.handler = new CrmFunction(this, 'Function', props).handler;

    this.deadLetterQueue = createDeadLetterQueue(this, 'an EventBridge Scheduler schedule target');

    // Its own role, trusted by Scheduler for this account's schedules only: invoking this
    // function and sending to its dead-letter queue is all it may do.
    const role = new Role(this, 'InvokeRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
    });

    this.schedule = new Schedule(this, 'Schedule', {
      description: `Invokes ${declaration.entry} (functions/manifest.ts)`,
      schedule: ScheduleExpression.expression(trigger.expression),
      timeWindow: TimeWindow.off(),
      target: new LambdaInvoke(this.handler, {
        role,
        input: ScheduleTargetInput.fromObject({ scheduledTime: ContextAttribute.scheduledTime }),
        retryAttempts: trigger.maxRetries,
        // A tick older than this is overtaken by the next ones, which fire the same periods.
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.deadLetterQueue,
      }),
    });

    const functionId = Stack.of(this).resolve((this.handler.node.defaultChild as CfnFunction).logicalId);
    Validations.of(role.node.tryFindChild('DefaultPolicy') ?? role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
      reason:
        'The schedule may invoke its function and that function\'s versions and aliases (`<arn>:*`), no other function. ' +
        'CDK grants both forms so a target can be pointed at a qualified ARN without a policy change.',
    });
  }
}
