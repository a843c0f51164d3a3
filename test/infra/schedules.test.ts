import { describe, expect, it } from 'vitest';
import { functionsTriggeredBy } from '../../functions/manifest';
import { functionIdWithPrefix, resourcesOf, statementsForFunction, synthesize } from './stack-fixture';

/** Every `schedule` function of functions/manifest.ts as an EventBridge Scheduler schedule: its rate, input, retries and dead letters. */
describe.each(functionsTriggeredBy('schedule'))('scheduled function %s', (name, declaration) => {
  const template = synthesize();
  const resources = resourcesOf(template);
  const functionId = functionIdWithPrefix(template, `${name}Schedule`);
  const scheduleEntry = Object.entries(template.findResources('AWS::Scheduler::Schedule')).find(([id]) => id.startsWith(`${name}Schedule`))!;
  const schedule = scheduleEntry[1].Properties;
  const queueId = Object.keys(template.findResources('AWS::SQS::Queue')).find((id) => id.startsWith(`${name}Schedule`))!;

  it('fires at the declared rate, on time, with the time each tick is for', () => {
    expect(schedule.ScheduleExpression).toBe(declaration.trigger.expression);
    expect(schedule.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(schedule.State).toBe('ENABLED');
    expect(schedule.Target.Arn).toEqual({ 'Fn::GetAtt': [functionId, 'Arn'] });
    expect(JSON.parse(schedule.Target.Input)).toEqual({ scheduledTime: '<aws.scheduler.scheduled-time>' });
  });

  it('retries a tick it could not deliver, then puts it in a dead-letter queue of its own', () => {
    expect(schedule.Target.RetryPolicy).toEqual({ MaximumRetryAttempts: declaration.trigger.maxRetries, MaximumEventAgeInSeconds: 3_600 });
    expect(schedule.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } });
    expect(resources[queueId]!.Properties).toMatchObject({ MessageRetentionPeriod: 1_209_600 });
  });

  it('invokes through a role Scheduler assumes for this account only, which may invoke the function and send to the queue, nothing else', () => {
    const roleId = schedule.Target.RoleArn['Fn::GetAtt'][0];
    expect(resources[roleId]!.Properties!.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } },
    ]);
    const policies = Object.values(resources).filter((r) => r.Type === 'AWS::IAM::Policy' && r.Properties!.Roles.some((role: { Ref: string }) => role.Ref === roleId));
    const actions = policies.flatMap((policy) => policy.Properties!.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat())).sort();
    expect(actions).toEqual(['lambda:InvokeFunction', 'sqs:SendMessage']);
  });

  it('starts workflow runs, and may do nothing else with Step Functions', () => {
    const onStates = statementsForFunction(template, functionId).filter((s) => s.actions.some((action: string) => action.startsWith('states:')));
    expect(onStates.flatMap((s) => s.actions)).toEqual(declaration.startsExecutionsOf ? ['states:StartExecution'] : []);
  });
});
