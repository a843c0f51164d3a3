import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionManifest, functionsTriggeredBy } from '../../functions/manifest';
import { monitoredTableOperations } from '../../infra/constructs/crm-observability';
import { runStateMachines } from '../../infra/state-machines/runs';
import { resourcesOf, synthesize, withEmail } from './stack-fixture';

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
/** `webhook-delivery` → `WebhookDelivery`, as alarm construct ids are spelled. */
const pascal = (alarmName: string) => alarmName.split('-').map((part) => part.charAt(0).toUpperCase() + part.slice(1)).join('');
/**
 * Every function's health is watched by monitorFunctions, by the kebab-case name in its
 * alarms, with the prefix of its logical id: API functions (`<name>Function`), state machine
 * tasks (`<name>Task`), stream consumers (`<name>Consumer`), event rule functions (`<name>Rule`),
 * scheduled functions (`<name>Schedule`), queue consumers (`<name>Queue`), SES receivers (`<name>Receiver`).
 */
const idPrefix = { http: 'Function', stateMachineTask: 'Task', stream: 'Consumer', eventRule: 'Rule', schedule: 'Schedule', queue: 'Queue', inboundEmail: 'Receiver' } as const;
const monitoredFunctions = Object.entries(functionManifest).map(([name, declaration]) => [kebab(name), `${name}${idPrefix[declaration.trigger.kind]}`] as const);
/** The state machines, by the suffix their names and alarms carry. */
const stateMachineNames = Object.values(runStateMachines).map((machine) => machine.nameSuffix);
/** Stream consumers by name, with the kebab-case name their alarms carry. */
const consumerNames = functionsTriggeredBy('stream').map(([name]) => [name, kebab(name)] as const);
/** Event rules by name, with the kebab-case name their alarms carry. */
const ruleNames = functionsTriggeredBy('eventRule').map(([name]) => [name, kebab(name)] as const);
/** Queue consumers by name, with the kebab-case name their alarms carry. */
const queueConsumerNames = functionsTriggeredBy('queue').map(([name]) => [name, kebab(name)] as const);
/** Event rules deployed only where email is configured (scope `emailConfigurationSet`). */
const isEmailScoped = (name: string) => functionsTriggeredBy('eventRule').some(([rule, declaration]) => rule === name && declaration.trigger.scope === 'emailConfigurationSet');
/** Functions deployed only where the stage receives mail (email.inbound). */
const receiverNames = functionsTriggeredBy('inboundEmail').map(([name]) => kebab(name));
/** Functions deployed without email: all but the email-scoped rules' functions and the receivers. */
const functionNames = monitoredFunctions
  .map(([name]) => name)
  .filter((name) => !ruleNames.some(([rule, alarmName]) => alarmName === name && isEmailScoped(rule)) && !receiverNames.includes(name));

type Resource = { Type: string; Properties: Record<string, any> };
type MetricQuery = { Id: string; Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: Record<string, any>; Period: number; Stat: string } };

function ofType(template: Template, type: string): Record<string, Resource> {
  return Object.fromEntries(Object.entries(resourcesOf(template)).filter(([, resource]) => resource.Type === type)) as Record<
    string,
    Resource
  >;
}

/** Alarms by the part of their name after `crm-test-`. */
function alarmsByName(template: Template): Record<string, Record<string, any>> {
  return Object.fromEntries(
    Object.values(ofType(template, 'AWS::CloudWatch::Alarm')).map((alarm) => [
      String(alarm.Properties.AlarmName).replace(/^crm-test-/, ''),
      alarm.Properties,
    ]),
  );
}

const idOfType = (template: Template, type: string) => {
  const ids = Object.keys(ofType(template, type));
  expect(ids, type).toHaveLength(1);
  return ids[0]!;
};

/** The logical id of the state machine named `crm-test-<suffix>`. */
const stateMachineIdOf = (template: Template, suffix: string) =>
  Object.entries(ofType(template, 'AWS::StepFunctions::StateMachine')).find(([, machine]) => machine.Properties.StateMachineName === `crm-test-${suffix}`)![0];

/** The logical id of the monitored function `name` (an API function or a state machine task). */
function functionId(template: Template, name: string): string {
  const prefix = monitoredFunctions.find(([monitored]) => monitored === name)![1];
  const ids = Object.keys(ofType(template, 'AWS::Lambda::Function')).filter((id) => id.startsWith(prefix));
  expect(ids, `function ${name}`).toHaveLength(1);
  return ids[0]!;
}

/** The logical id of a resource of `type` whose id starts with `prefix`. */
function idWithPrefix(template: Template, type: string, prefix: string): string {
  const ids = Object.keys(ofType(template, type)).filter((id) => id.startsWith(prefix));
  expect(ids, `${type} ${prefix}…`).toHaveLength(1);
  return ids[0]!;
}

/** The one metric an alarm reads, however CloudFormation spells it. */
function metricStatOf(alarm: Record<string, any>) {
  if (!alarm.Metrics) {
    return { Metric: { Namespace: alarm.Namespace, MetricName: alarm.MetricName, Dimensions: alarm.Dimensions }, Period: alarm.Period, Stat: alarm.Statistic };
  }
  const metrics = alarm.Metrics as MetricQuery[];
  expect(metrics).toHaveLength(1);
  return metrics[0]!.MetricStat;
}

/** The logical id of stream consumer `name`'s function or queue (construct `<name>Consumer`). */
function consumerResourceId(template: Template, name: string, type: string): string {
  const ids = Object.keys(ofType(template, type)).filter((id) => id.startsWith(`${name}Consumer`));
  expect(ids, `${type} of stream consumer ${name}`).toHaveLength(1);
  return ids[0]!;
}

/**
 * The queue queue consumer `name` (construct `<name>Queue`) consumes, from its event source
 * mapping, and that queue's dead-letter queue, from its redrive policy.
 */
function consumedQueueIds(template: Template, name: string): { queueId: string; deadLetterQueueId: string } {
  const functionId = idWithPrefix(template, 'AWS::Lambda::Function', `${name}Queue`);
  const mappings = Object.values(ofType(template, 'AWS::Lambda::EventSourceMapping')).filter((mapping) => mapping.Properties.FunctionName.Ref === functionId);
  expect(mappings, `event source mappings of queue consumer ${name}`).toHaveLength(1);
  const queueId = mappings[0]!.Properties.EventSourceArn['Fn::GetAtt'][0] as string;
  const queue = resourcesOf(template)[queueId]!;
  expect(queue.Type).toBe('AWS::SQS::Queue');
  const deadLetterQueueId = queue.Properties!.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string;
  expect(resourcesOf(template)[deadLetterQueueId]!.Type).toBe('AWS::SQS::Queue');
  return { queueId, deadLetterQueueId };
}

const ruleAlarmNames = (rules: (typeof ruleNames)[number][]) => rules.flatMap(([, alarmName]) => ['failed-invocations', 'dead-letters'].map((suffix) => `${alarmName}-${suffix}`));
/** The alarms of a stack without email. */
const expectedAlarmNames = [
  'api-5xx-rate',
  'api-latency-p99',
  ...functionNames.flatMap((name) => [`${name}-errors`, `${name}-throttles`]),
  'table-throttled',
  'table-system-errors',
  ...consumerNames.flatMap(([, alarmName]) => ['iterator-age', 'dead-letters'].map((suffix) => `${alarmName}-${suffix}`)),
  ...ruleAlarmNames(ruleNames.filter(([name]) => !isEmailScoped(name))),
  ...stateMachineNames.flatMap((machine) => [`${machine}-failed`, `${machine}-timed-out`]),
  ...functionsTriggeredBy('schedule').map(([name]) => `${kebab(name)}-dead-letters`),
  ...queueConsumerNames.map(([, alarmName]) => `${alarmName}-dead-letters`),
].sort();
/** The SES reputation alarms of the configuration set. */
const emailAlarmNames = ['email-bounce-rate', 'email-complaint-rate'];
/** The alarms a stack with email adds: SES reputation, and the event rules scoped to its configuration set. */
const alarmNamesOfEmail = [
  ...emailAlarmNames,
  ...ruleNames.filter(([name]) => isEmailScoped(name)).flatMap(([, alarmName]) => [`${alarmName}-errors`, `${alarmName}-throttles`]),
  ...ruleAlarmNames(ruleNames.filter(([name]) => isEmailScoped(name))),
];

/**
 * API rates and latencies, stream lag and any message in a stream or queue consumer's
 * dead-letter queue alarm above the threshold; counts (an event rule's dead letters included)
 * and the SES reputation rates, whose limits SES states as "5% or more", from it.
 */
const aboveThreshold = (name: string) =>
  name.startsWith('api-') ||
  name.endsWith('-iterator-age') ||
  [...consumerNames, ...queueConsumerNames].some(([, alarmName]) => name === `${alarmName}-dead-letters`);

describe('alarms, by default', () => {
  const template = synthesize(withEmail);
  const alarms = alarmsByName(template);
  const topicId = idOfType(template, 'AWS::SNS::Topic');
  const apiId = idOfType(template, 'AWS::ApiGatewayV2::Api');
  const tableId = idOfType(template, 'AWS::DynamoDB::GlobalTable');

  it('cover the API, every function, the table, every stream consumer, event rule, schedule and queue consumer, the state machines and SES sending, named after the stack', () => {
    expect(Object.keys(alarms).sort()).toEqual([...expectedAlarmNames, ...alarmNamesOfEmail].sort());
  });

  it('leave SES, and the event rules scoped to its configuration set, out when the stack sends no email', () => {
    expect(Object.keys(alarmsByName(synthesize())).sort()).toEqual(expectedAlarmNames);
  });

  it('notify the alarm topic on ALARM and on OK, stay quiet while there is no data, and fire on rates above and counts from the threshold', () => {
    for (const [name, alarm] of Object.entries(alarms)) {
      expect(alarm, name).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        TreatMissingData: 'notBreaching',
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        ComparisonOperator: aboveThreshold(name) ? 'GreaterThanThreshold' : 'GreaterThanOrEqualToThreshold',
      });
      expect(alarm.AlarmDescription.length, `${name} says what to look at`).toBeGreaterThan(60);
    }
  });

  it('alarm on the API 5xx rate over 5 minutes, only from 20 requests on', () => {
    const alarm = alarms['api-5xx-rate']!;
    const metrics = alarm.Metrics as MetricQuery[];
    const apiMetric = (id: string) => metrics.find((query) => query.Id === id)!.MetricStat;

    expect(alarm.Threshold).toBe(1);
    expect(metrics.find((query) => query.ReturnData)?.Expression).toBe('IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)');
    expect(apiMetric('requests')).toEqual({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] },
      Period: 300,
      Stat: 'Sum',
    });
    expect(apiMetric('errors')).toMatchObject({ Metric: { MetricName: '5xx' }, Period: 300, Stat: 'Sum' });
  });

  it('alarm on API p99 latency, only from 20 requests on', () => {
    const alarm = alarms['api-latency-p99']!;
    const metrics = alarm.Metrics as MetricQuery[];

    expect(alarm.Threshold).toBe(3000);
    expect(metrics.find((query) => query.ReturnData)?.Expression).toBe('IF(requests >= 20, latency, 0)');
    expect(metrics.find((query) => query.Id === 'latency')?.MetricStat).toMatchObject({
      Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Latency', Dimensions: [{ Name: 'ApiId', Value: { Ref: apiId } }] },
      Stat: 'p99',
    });
  });

  it.each(functionNames)('alarm on Errors and Throttles of function %s', (name) => {
    for (const [suffix, metricName] of [
      ['errors', 'Errors'],
      ['throttles', 'Throttles'],
    ] as const) {
      expect(alarms[`${name}-${suffix}`]).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(template, name) } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
      });
    }
  });

  describe.each(consumerNames)('of stream consumer %s', (name, alarmName) => {
    const functionRef = { Ref: consumerResourceId(template, name, 'AWS::Lambda::Function') };
    const metricStat = (suffix: string) => metricStatOf(alarms[`${alarmName}-${suffix}`]!);

    it('alarm on its Errors and Throttles, from the function thresholds', () => {
      for (const [suffix, metricName] of [
        ['errors', 'Errors'],
        ['throttles', 'Throttles'],
      ] as const) {
        expect(alarms[`${alarmName}-${suffix}`]!.Threshold).toBe(1);
        expect(metricStat(suffix)).toEqual({
          Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: functionRef }] },
          Period: 300,
          Stat: 'Sum',
        });
      }
    });

    it('alarm when it falls more than 5 minutes behind the stream (IteratorAge maximum, in ms)', () => {
      expect(alarms[`${alarmName}-iterator-age`]!.Threshold).toBe(5 * 60_000);
      expect(metricStat('iterator-age')).toEqual({
        Metric: { Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: functionRef }] },
        Period: 300,
        Stat: 'Maximum',
      });
    });

    it('alarm as soon as its dead-letter queue holds a message', () => {
      const queueId = consumerResourceId(template, name, 'AWS::SQS::Queue');
      expect(alarms[`${alarmName}-dead-letters`]).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(metricStat('dead-letters')).toEqual({
        Metric: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        },
        Period: 300,
        Stat: 'Maximum',
      });
    });
  });

  /** A function's Errors and Throttles alarms, at the default threshold of 1. */
  function expectFunctionAlarms(alarmName: string, functionRef: unknown): void {
    for (const [suffix, metricName] of [
      ['errors', 'Errors'],
      ['throttles', 'Throttles'],
    ] as const) {
      expect(alarms[`${alarmName}-${suffix}`]!.Threshold).toBe(1);
      expect(metricStatOf(alarms[`${alarmName}-${suffix}`]!)).toEqual({
        Metric: { Namespace: 'AWS/Lambda', MetricName: metricName, Dimensions: [{ Name: 'FunctionName', Value: functionRef }] },
        Period: 300,
        Stat: 'Sum',
      });
    }
  }

  describe.each(ruleNames)('of event rule %s', (name, alarmName) => {
    const functionRef = { Ref: idWithPrefix(template, 'AWS::Lambda::Function', `${name}Rule`) };

    it('alarm on its function\'s Errors and Throttles, from the function thresholds', () => expectFunctionAlarms(alarmName, functionRef));

    it('alarm from the first event the rule could not deliver (FailedInvocations of the rule)', () => {
      const ruleId = idWithPrefix(template, 'AWS::Events::Rule', `${name}Rule`);
      expect(alarms[`${alarmName}-failed-invocations`]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(metricStatOf(alarms[`${alarmName}-failed-invocations`]!)).toEqual({
        Metric: { Namespace: 'AWS/Events', MetricName: 'FailedInvocations', Dimensions: [{ Name: 'RuleName', Value: { Ref: ruleId } }] },
        Period: 300,
        Stat: 'Sum',
      });
    });

    it('alarm from the first message in its dead-letter queue', () => {
      const queueId = idWithPrefix(template, 'AWS::SQS::Queue', `${name}Rule`);
      expect(alarms[`${alarmName}-dead-letters`]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(metricStatOf(alarms[`${alarmName}-dead-letters`]!)).toEqual({
        Metric: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        },
        Period: 300,
        Stat: 'Maximum',
      });
    });
  });

  describe.each(queueConsumerNames)('of queue consumer %s', (name, alarmName) => {
    const { queueId, deadLetterQueueId } = consumedQueueIds(template, name);

    it('alarm on its function\'s Errors and Throttles, from the function thresholds', () =>
      expectFunctionAlarms(alarmName, { Ref: idWithPrefix(template, 'AWS::Lambda::Function', `${name}Queue`) }));

    it('alarm as soon as the dead-letter queue of the queue it consumes holds a message', () => {
      expect(deadLetterQueueId).not.toBe(queueId);
      expect(alarms[`${alarmName}-dead-letters`]).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(metricStatOf(alarms[`${alarmName}-dead-letters`]!)).toEqual({
        Metric: {
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterQueueId, 'QueueName'] } }],
        },
        Period: 300,
        Stat: 'Maximum',
      });
      // Its logical id in the alarms' nested stack, which a rename would replace the deployed alarm under.
      const [alarmId] = Object.entries(ofType(template, 'AWS::CloudWatch::Alarm')).find(([, alarm]) => alarm.Properties.AlarmName === `crm-test-${alarmName}-dead-letters`)!;
      expect(alarmId).toMatch(new RegExp(`^${pascal(alarmName)}QueueDeadLetters[0-9A-F]{8}$`));
    });
  });

  it.each([
    ['sequence-run-failed', 'ExecutionsFailed', 'sequence-run'],
    ['sequence-run-timed-out', 'ExecutionsTimedOut', 'sequence-run'],
    ['workflow-run-failed', 'ExecutionsFailed', 'workflow-run'],
    ['workflow-run-timed-out', 'ExecutionsTimedOut', 'workflow-run'],
    ['export-run-failed', 'ExecutionsFailed', 'export-run'],
    ['export-run-timed-out', 'ExecutionsTimedOut', 'export-run'],
    ['import-run-failed', 'ExecutionsFailed', 'import-run'],
    ['import-run-timed-out', 'ExecutionsTimedOut', 'import-run'],
    ['report-rebuild-failed', 'ExecutionsFailed', 'report-rebuild'],
    ['report-rebuild-timed-out', 'ExecutionsTimedOut', 'report-rebuild'],
  ])('alarm %s from the first execution in a period on %s of state machine %s', (name, metricName, machine) => {
    const stateMachineId = stateMachineIdOf(template, machine);
    expect(alarms[name]).toMatchObject({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(metricStatOf(alarms[name]!)).toEqual({
      Metric: { Namespace: 'AWS/States', MetricName: metricName, Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: stateMachineId } }] },
      Period: 300,
      Stat: 'Sum',
    });
  });

  it.each([
    ['email-bounce-rate', 'Reputation.BounceRate', 0.05],
    ['email-complaint-rate', 'Reputation.ComplaintRate', 0.001],
  ])('alarm %s on the hourly maximum of %s of the configuration set, from SES\'s own review level', (name, metricName, threshold) => {
    const configurationSetId = idOfType(template, 'AWS::SES::ConfigurationSet');
    expect(alarms[name]).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(metricStatOf(alarms[name]!)).toEqual({
      Metric: {
        Namespace: 'AWS/SES',
        MetricName: metricName,
        Dimensions: [{ Name: 'ses:configuration-set', Value: { Ref: configurationSetId } }],
      },
      Period: 3600,
      Stat: 'Maximum',
    });
  });

  it.each([
    ['table-throttled', 'ThrottledRequests'],
    ['table-system-errors', 'SystemErrors'],
  ])('alarm %s on %s summed over every operation the CRM uses, each filled with 0', (name, metricName) => {
    const metrics = alarms[name]!.Metrics as MetricQuery[];
    const reads = metrics.filter((query) => query.MetricStat);
    const expression = metrics.find((query) => query.ReturnData)!.Expression!;

    // CloudWatch refuses an alarm that reads more than 10 metrics.
    expect(reads.length).toBeLessThanOrEqual(10);
    expect(reads.map((query) => query.MetricStat!.Metric)).toEqual(
      monitoredTableOperations.map((operation) => ({
        Namespace: 'AWS/DynamoDB',
        MetricName: metricName,
        Dimensions: [
          { Name: 'Operation', Value: operation },
          { Name: 'TableName', Value: { Ref: tableId } },
        ],
      })),
    );
    expect(expression.split(' + ').sort()).toEqual(reads.map((query) => `FILL(${query.Id}, 0)`).sort());
  });

  it('watch every DynamoDB operation the functions are allowed (and TransactWriteItems), stream reads included', () => {
    const grantedOperations = new Set(
      Object.values(resourcesOf(template))
        .filter((resource) => resource.Type === 'AWS::IAM::Policy')
        .flatMap((policy) => policy.Properties!.PolicyDocument.Statement.flatMap((statement: any) => [statement.Action].flat()))
        .filter((action: string) => action.startsWith('dynamodb:'))
        .map((action: string) => action.replace('dynamodb:', '')),
    );
    // Neither condition checks nor the control-plane calls have per-operation metrics of their own.
    const unmonitored = ['ConditionCheckItem', 'DescribeTable', 'DescribeStream', 'GetShardIterator', 'ListStreams'];
    const itemOperations = [...grantedOperations].filter((action) => !unmonitored.includes(action));
    expect(itemOperations).toContain('GetRecords');
    expect([...monitoredTableOperations].sort()).toEqual([...itemOperations, 'TransactWriteItems'].sort());
  });

  it('publish to a topic that takes HTTPS only and lets this account’s CloudWatch alarms publish', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Principal: '*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sns:Publish',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('subscribe no one without alarms.email, and output the topic for other subscribers', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  it('read as many metrics as docs/deploy.md bills for (CloudWatch prices an alarm per metric it reads)', () => {
    const metricsRead = (t: Template) =>
      Object.values(ofType(t, 'AWS::CloudWatch::Alarm')).reduce((sum, alarm) => sum + (alarm.Properties.Metrics ? alarm.Properties.Metrics.filter((query: MetricQuery) => query.MetricStat).length : 1), 0);
    const count = (t: Template) => `${metricsRead(t)} metrics in ${Object.keys(ofType(t, 'AWS::CloudWatch::Alarm')).length} alarms`;
    const guide = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const documented = /This set reads (\d+ metrics in \d+ alarms) \((\d+) in (\d+) with `email`\)/.exec(guide);
    expect(documented?.slice(1)).toEqual([count(synthesize()), ...count(template).split(/ metrics in | alarms/).slice(0, 2)]);
    const costGuide = readFileSync(new URL('../../docs/cost.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    expect(costGuide).toContain(`reads ${count(template).replace(/ metrics in (\d+) alarms/, ' metrics ($1 alarms)')}`);
  });
});

describe('alarms, configured', () => {
  const template = synthesize({
    ...withEmail,
    alarms: {
      email: 'ops@acme.example',
      periodMinutes: 1,
      evaluationPeriods: 3,
      apiErrorRatePercent: 2.5,
      apiLatencyP99Ms: 800,
      apiMinRequests: 50,
      functionErrors: 5,
      functionThrottles: 2,
      tableThrottledRequests: 10,
      tableSystemErrors: 3,
      streamIteratorAgeMinutes: 30,
      emailBounceRatePercent: 2,
      emailComplaintRatePercent: 0.05,
      stateMachineFailedExecutions: 4,
      eventRuleFailedInvocations: 6,
      eventRuleDeadLetters: 7,
    },
  });
  const alarms = alarmsByName(template);

  it('take every threshold from the config', () => {
    const thresholds = Object.fromEntries(Object.entries(alarms).map(([name, alarm]) => [name, alarm.Threshold]));
    expect(thresholds).toEqual({
      'api-5xx-rate': 2.5,
      'api-latency-p99': 800,
      ...Object.fromEntries(functionNames.flatMap((name) => [[`${name}-errors`, 5], [`${name}-throttles`, 2]])),
      'table-throttled': 10,
      'table-system-errors': 3,
      ...Object.fromEntries(
        consumerNames.flatMap(([, alarmName]) => [
          [`${alarmName}-errors`, 5],
          [`${alarmName}-throttles`, 2],
          [`${alarmName}-iterator-age`, 30 * 60_000],
          [`${alarmName}-dead-letters`, 0],
        ]),
      ),
      ...Object.fromEntries(
        ruleNames.flatMap(([, alarmName]) => [
          [`${alarmName}-errors`, 5],
          [`${alarmName}-throttles`, 2],
          [`${alarmName}-failed-invocations`, 6],
          [`${alarmName}-dead-letters`, 7],
        ]),
      ),
      // A schedule's dead letters share the event rules' threshold: both are undelivered invocations.
      ...Object.fromEntries(functionsTriggeredBy('schedule').map(([name]) => [`${kebab(name)}-dead-letters`, 7])),
      // A queue consumer's dead letters alarm from the first, like a stream consumer's: not configurable.
      ...Object.fromEntries(queueConsumerNames.map(([, alarmName]) => [`${alarmName}-dead-letters`, 0])),
      'sequence-run-failed': 4,
      'sequence-run-timed-out': 4,
      'workflow-run-failed': 4,
      'workflow-run-timed-out': 4,
      'export-run-failed': 4,
      'export-run-timed-out': 4,
      'import-run-failed': 4,
      'import-run-timed-out': 4,
      'report-rebuild-failed': 4,
      'report-rebuild-timed-out': 4,
      'email-bounce-rate': 0.02,
      'email-complaint-rate': 0.0005,
    });
  });

  it('take the period, the periods in a row and the minimum request count from the config', () => {
    for (const [name, alarm] of Object.entries(alarms)) {
      expect({ name, periods: alarm.EvaluationPeriods, datapoints: alarm.DatapointsToAlarm }).toEqual({ name, periods: 3, datapoints: 3 });
      const periods = alarm.Metrics
        ? (alarm.Metrics as MetricQuery[]).flatMap((query) => (query.MetricStat ? [query.MetricStat.Period] : []))
        : [alarm.Period];
      // SES's reputation rates are rolling figures read per hour (crm-observability.ts).
      expect(new Set(periods), name).toEqual(new Set([emailAlarmNames.includes(name) ? 3600 : 60]));
    }
    const expressionOf = (name: string) => (alarms[name]!.Metrics as MetricQuery[]).find((query) => query.ReturnData)?.Expression;
    expect(expressionOf('api-5xx-rate')).toBe('IF(requests >= 50, 100 * FILL(errors, 0) / requests, 0)');
    expect(expressionOf('api-latency-p99')).toBe('IF(requests >= 50, latency, 0)');
  });

  it('subscribe alarms.email to the topic', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@acme.example',
      TopicArn: { Ref: idOfType(template, 'AWS::SNS::Topic') },
    });
  });
});

describe('alarms disabled', () => {
  const template = synthesize({ alarms: { enabled: false } });

  it('create no alarm, no topic and no topic output', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::SNS::TopicPolicy', 0);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('AlarmTopicArn');
  });

  it('leave the dashboard in place', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('dashboard', () => {
  const template = synthesize(withEmail);
  const dashboard = Object.values(ofType(template, 'AWS::CloudWatch::Dashboard'))[0]!;
  /** The body with every token rendered as its JSON, which is enough to look for references. */
  const body = (dashboard.Properties.DashboardBody['Fn::Join'][1] as unknown[])
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part)))
    .join('');

  it('is one per stage and region, and is an output', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(dashboard.Properties.DashboardName).toEqual({ 'Fn::Join': ['', ['crm-test-', { Ref: 'AWS::Region' }]] });
    template.hasOutput('DashboardName', { Value: { Ref: idOfType(template, 'AWS::CloudWatch::Dashboard') } });
  });

  it('graphs requests, 4xx/5xx and latency p50/p99 of the API', () => {
    for (const metric of ['"Count"', '"4xx"', '"5xx"', '"Latency"', '"stat":"p50"', '"stat":"p99"']) {
      expect(body).toContain(metric);
    }
  });

  it.each(functionNames)('graphs duration, errors, throttles and concurrency of function %s', (name) => {
    const ref = JSON.stringify({ Ref: functionId(template, name) });
    for (const metricName of ['Duration', 'Errors', 'Throttles', 'ConcurrentExecutions']) {
      expect(body).toContain(`"AWS/Lambda","${metricName}","FunctionName","${ref}",{"label":"${name}"`);
    }
  });

  it('graphs consumed capacity, throttles and system errors of the table', () => {
    for (const metricName of ['ConsumedReadCapacityUnits', 'ConsumedWriteCapacityUnits', 'ThrottledRequests', 'SystemErrors']) {
      expect(body).toContain(`"AWS/DynamoDB","${metricName}"`);
    }
  });

  it.each(consumerNames)('graphs iterator age, errors, throttles, duration and the dead-letter queue of stream consumer %s', (name) => {
    const ref = JSON.stringify({ Ref: consumerResourceId(template, name, 'AWS::Lambda::Function') });
    for (const metricName of ['IteratorAge', 'Errors', 'Throttles', 'Duration']) {
      expect(body).toContain(`"AWS/Lambda","${metricName}","FunctionName","${ref}"`);
    }
    const queueName = JSON.stringify({ 'Fn::GetAtt': [consumerResourceId(template, name, 'AWS::SQS::Queue'), 'QueueName'] });
    expect(body).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","${queueName}"`);
    expect(body).toContain(`"markdown":"## Stream consumer ${name}"`);
  });

  it('graphs the handlers’ own metrics, whatever services emit them: requests, emails and automation steps', () => {
    const metricNames = [
      'Requests',
      'ClientErrors',
      'ServerErrors',
      'EmailsSent',
      'EmailsDelivered',
      'EmailsBounced',
      'EmailsComplained',
      'EmailsRejected',
      'SequenceEnrollments',
      'SequenceStepsSucceeded',
      'SequenceStepsFailed',
      'WorkflowRunsFailed',
    ];
    for (const metricName of metricNames) {
      expect(body).toContain(`SEARCH('{CRM,service} MetricName=\\"${metricName}\\"', 'Sum', 300)`);
    }
  });

  it.each(stateMachineNames)('graphs executions of state machine %s, failed ones against their alarm', (machine) => {
    const ref = JSON.stringify({ Ref: stateMachineIdOf(template, machine) });
    for (const metricName of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled']) {
      expect(body).toContain(`"AWS/States","${metricName}","StateMachineArn","${ref}"`);
    }
    expect(body).toContain(`"markdown":"## State machine ${machine}"`);
  });

  it.each(ruleNames)('graphs invocations, failures, errors, duration and the dead-letter queue of event rule %s', (name) => {
    const ruleRef = JSON.stringify({ Ref: idWithPrefix(template, 'AWS::Events::Rule', `${name}Rule`) });
    for (const metricName of ['Invocations', 'FailedInvocations']) {
      expect(body).toContain(`"AWS/Events","${metricName}","RuleName","${ruleRef}"`);
    }
    const functionRef = JSON.stringify({ Ref: idWithPrefix(template, 'AWS::Lambda::Function', `${name}Rule`) });
    for (const metricName of ['Errors', 'Throttles', 'Duration']) {
      expect(body).toContain(`"AWS/Lambda","${metricName}","FunctionName","${functionRef}"`);
    }
    const queueName = JSON.stringify({ 'Fn::GetAtt': [idWithPrefix(template, 'AWS::SQS::Queue', `${name}Rule`), 'QueueName'] });
    expect(body).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","${queueName}"`);
    expect(body).toContain(`"markdown":"## Event rule ${name}"`);
  });

  it.each(queueConsumerNames)('graphs the depth of its queue, errors, throttles, duration and the dead-letter queue of queue consumer %s', (name) => {
    const { queueId, deadLetterQueueId } = consumedQueueIds(template, name);
    const queueName = (id: string) => JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] });
    // Visible: waiting for the consumer; not visible: in flight, or waiting out a retry's pause.
    for (const metricName of ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible']) {
      expect(body).toContain(`"AWS/SQS","${metricName}","QueueName","${queueName(queueId)}"`);
    }
    const functionRef = JSON.stringify({ Ref: idWithPrefix(template, 'AWS::Lambda::Function', `${name}Queue`) });
    for (const metricName of ['Errors', 'Throttles', 'Duration']) {
      expect(body).toContain(`"AWS/Lambda","${metricName}","FunctionName","${functionRef}"`);
    }
    expect(body).toContain(`"AWS/SQS","ApproximateNumberOfMessagesVisible","QueueName","${queueName(deadLetterQueueId)}"`);
    expect(body).toContain(`"markdown":"## Queue ${name}"`);
  });

  it('graphs the SES bounce and complaint rates of the configuration set against their alarms, only when sending', () => {
    const setRef = JSON.stringify({ Ref: idOfType(template, 'AWS::SES::ConfigurationSet') });
    for (const metricName of ['Reputation.BounceRate', 'Reputation.ComplaintRate']) {
      expect(body).toContain(`"AWS/SES","${metricName}","ses:configuration-set","${setRef}"`);
    }
    expect(body).toContain('"value":0.05');
    const withoutEmail = JSON.stringify(synthesize().toJSON());
    expect(withoutEmail).not.toContain('Reputation.BounceRate');
    // Nor the event rules scoped to the configuration set, which exist only with it.
    for (const [name] of ruleNames.filter(([ruleName]) => isEmailScoped(ruleName))) {
      expect(body).toContain(`"markdown":"## Event rule ${name}"`);
      expect(withoutEmail).not.toContain(`"markdown":"## Event rule ${name}"`);
    }
  });

  it('draws the alarm thresholds it has alarms for', () => {
    expect(body).toContain('"annotations":{"horizontal":[{"label":"5xx rate (%) > 1 for 1 datapoints within 5 minutes","value":1');
    expect(body).toContain('"annotations":{"horizontal":[{"label":"iterator age max (ms) > 300000 for 1 datapoints within 5 minutes","value":300000');
    expect(body).toContain('"annotations":{"horizontal":[{"label":"messages in the dead-letter queue > 0 for 1 datapoints within 5 minutes","value":0');
    const withoutAlarms = synthesize({ alarms: { enabled: false } }).toJSON();
    expect(JSON.stringify(withoutAlarms)).not.toContain('annotations');
  });

  it('is left out with dashboard: false', () => {
    const without = synthesize({ dashboard: false });
    without.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(Object.keys(without.toJSON().Outputs)).not.toContain('DashboardName');
    expect(Object.keys(alarmsByName(without)).sort()).toEqual(expectedAlarmNames);
    expect(Object.keys(alarmsByName(synthesize({ ...withEmail, dashboard: false }))).sort()).toEqual([...expectedAlarmNames, ...alarmNamesOfEmail].sort());
  });
});
