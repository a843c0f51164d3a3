import { Stack, Validations } from 'aws-cdk-lib';
import type { CfnFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { runLoopDefinition } from '../state-machines/run-loop';
import type { RunStateMachine as RunStateMachineSpec } from '../state-machines/runs';

export interface RunStateMachineProps {
  /** Which run (infra/state-machines/runs.ts). */
  readonly run: RunStateMachineSpec;
  /** The Lambda every Task state of the run calls (its stateMachineTask in functions/manifest.ts). */
  readonly stepFunction: LambdaFunction;
  readonly logRetention: RetentionDays;
}

/**
 * A run (a follow-up sequence's, a workflow's) as a Standard workflow: one execution per
 * run, waiting days between steps (Express workflows stop after five minutes), never
 * repeating a state that succeeded (Express runs at least once), and a 90-day execution
 * history to inspect a failed run in. The definition is runLoopDefinition's, the one the
 * local emulator runs.
 */
export class RunStateMachine extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: RunStateMachineProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });

    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: `${Stack.of(this).stackName}-${props.run.nameSuffix}`,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(runLoopDefinition(this, props.stepFunction, props.run)),
      // Every state transition, retry and failure is logged, but without execution data: a
      // step's error cause can quote a recipient's address (SES names the address it
      // refused), and the logs outlive the enrollment. The inputs and outputs stay in the
      // execution history, which Step Functions deletes 90 days after the run ends.
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: false,
    });

    this.acknowledgeRules(props.stepFunction);
  }

  private acknowledgeRules(stepFunction: LambdaFunction): void {
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-SF2',
      reason:
        'No X-Ray tracing: the run is one Lambda task in a loop with waits, and the execution history already shows every ' +
        'state, retry and error with timings for 90 days; the step function logs each step. Tracing would also need ' +
        'xray:PutTraceSegments on "*" (X-Ray has no resource-level permissions) and is billed per trace.',
    });

    // The role policy CDK builds: invoke the step function (any version or alias of that
    // one function, hence `:*`), and the CloudWatch Logs delivery actions, which AWS only
    // authorizes on "*". Each finding is acknowledged by its exact resource.
    const stepFunctionId = Stack.of(this).resolve((stepFunction.node.defaultChild as CfnFunction).logicalId);
    const policy = this.stateMachine.role.node.tryFindChild('DefaultPolicy') ?? this.stateMachine.role;
    Validations.of(policy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::<${stepFunctionId}.Arn>:*]`,
        reason:
          'The state machine may invoke its step function and its versions and aliases (`<arn>:*`), no other ' +
          'function. CDK grants both forms so a task can be pointed at a qualified ARN without a policy change.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Step Functions delivers its logs through CloudWatch Logs log delivery (logs:CreateLogDelivery, ' +
          'PutResourcePolicy, DescribeLogGroups and the like), and those actions support no resource-level permissions: ' +
          'AWS documents Resource "*" for them. They configure where logs go; they read no log data.',
      },
    );
  }
}
