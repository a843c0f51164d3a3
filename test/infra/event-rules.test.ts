import { Match } from 'aws-cdk-lib/assertions';
import { EmailSendingEvent } from 'aws-cdk-lib/aws-ses';
import { describe, expect, it } from 'vitest';
import { deployedEventPattern, functionManifest, functionsTriggeredBy, queueManifest, type QueueName } from '../../functions/manifest';
import { publishedEmailEvents } from '../../infra/constructs/crm-email';
import type { StackConfigInput } from '../../infra/stack-config';
import { functionIdWithPrefix, resourcesOf, statementsForFunction, synthesize, withConfigurationSetNames, withEmail } from './stack-fixture';

const rules = functionsTriggeredBy('eventRule').map(([name, declaration]) => [name, { ...declaration, ...declaration.trigger }] as const);
/** Rules that exist only where email is configured, narrowed to the stack's configuration set. */
const emailScopedRules = rules.filter(([, definition]) => definition.scope === 'emailConfigurationSet');

/**
 * The detail-type SES gives each kind of event on EventBridge:
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html
 */
const sesDetailTypes: Record<EmailSendingEvent, string> = {
  [EmailSendingEvent.SEND]: 'Email Sent',
  [EmailSendingEvent.DELIVERY]: 'Email Delivered',
  [EmailSendingEvent.BOUNCE]: 'Email Bounced',
  [EmailSendingEvent.COMPLAINT]: 'Email Complaint Received',
  [EmailSendingEvent.REJECT]: 'Email Rejected',
  [EmailSendingEvent.RENDERING_FAILURE]: 'Email Rendering Failed',
  [EmailSendingEvent.DELIVERY_DELAY]: 'Email Delivery Delayed',
  [EmailSendingEvent.OPEN]: 'Email Opened',
  [EmailSendingEvent.CLICK]: 'Email Clicked',
  [EmailSendingEvent.SUBSCRIPTION]: 'Email Subscribed',
};

// With email configured, so that every rule (the email-scoped ones too) is deployed.
describe.each(rules)('event rule %s', (name, definition) => {
  const template = synthesize(withEmail);
  const resources = resourcesOf(template);
  const prefix = `${name}Rule`;
  const idWithPrefix = (type: string) => {
    const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
    expect(ids, `${type} of ${name}`).toHaveLength(1);
    return ids[0]!;
  };
  const functionId = functionIdWithPrefix(template, prefix);
  const ruleId = idWithPrefix('AWS::Events::Rule');
  const queueId = idWithPrefix('AWS::SQS::Queue');
  const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
  const ruleArn = { 'Fn::GetAtt': [ruleId, 'Arn'] };
  /** The queue of queueManifest the function is told the URL of (`{ Ref }` to it): another queue than its dead-letter queue. */
  const sendsToQueueId = (queue: QueueName) => {
    const url = resources[functionId]!.Properties!.Environment.Variables[queueManifest[queue].urlSetting];
    expect(url, queueManifest[queue].urlSetting).toEqual({ Ref: expect.any(String) });
    expect(resources[url.Ref]?.Type).toBe('AWS::SQS::Queue');
    expect(url.Ref).not.toBe(queueId);
    return url.Ref as string;
  };

  it(`listens on the ${definition.bus} bus with exactly the pattern functions/manifest.ts deploys (deployedEventPattern)`, () => {
    const rule = resources[ruleId]!.Properties!;
    // The default bus by name; the stage's own bus is the stack's (crm-event-bus.test.ts).
    if (definition.bus === 'crm') expect(rule.EventBusName).toEqual({ Ref: Object.keys(template.findResources('AWS::Events::EventBus'))[0] });
    else expect(rule.EventBusName).toBe(definition.bus);
    // The stack's configuration set is named after the stack (crm-email.test.ts).
    expect(withConfigurationSetNames(template, rule.EventPattern)).toEqual(deployedEventPattern(definition, { configurationSetName: 'crm-test' }));
    expect(rule.State).toBe('ENABLED');
  });

  it('invokes its function, retrying delivery maxRetries times for up to a day, then dead-lettering into its queue', () => {
    expect(resources[ruleId]!.Properties!.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: definition.maxRetries, MaximumEventAgeInSeconds: 24 * 3600 },
        DeadLetterConfig: { Arn: queueArn },
      },
    ]);
  });

  it('lets Lambda retry a failing handler twice within 6 hours, then put the event into the same queue', () => {
    const configs = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).filter(
      (config) => config.Properties.FunctionName.Ref === functionId,
    );
    expect(configs.map((config) => config.Properties)).toEqual([
      {
        FunctionName: { Ref: functionId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 6 * 3600,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      },
    ]);
  });

  it('may be invoked by its rule and nothing else', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (permission) => JSON.stringify(permission.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }),
    );
    expect(permissions.map((permission) => permission.Properties)).toEqual([
      { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] }, Principal: 'events.amazonaws.com', SourceArn: ruleArn },
    ]);
  });

  it('keeps dead letters 14 days, encrypted, over TLS only, and takes them from its own rule only', () => {
    expect(resources[queueId]!.Properties).toEqual({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: queueArn }),
          Match.objectLike({
            Effect: 'Allow',
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': ruleArn } },
            Resource: queueArn,
          }),
        ],
      },
    });
  });

  it('lets its function write its logs, use the table and send to its queue (and to the queue it sendsTo), nothing else', () => {
    const statements = statementsForFunction(template, functionId);
    const services = [...new Set(statements.flatMap((s) => s.actions.map((action) => action.split(':')[0])))].sort();
    // A rule that starts runs may also start executions of its state machine (run-state-machines.test.ts pins which).
    expect(services).toEqual(definition.startsExecutionsOf ? ['dynamodb', 'logs', 'sqs', 'states'] : ['dynamodb', 'logs', 'sqs']);
    // A rule that sends to a queue of queueManifest may send there too: the queue whose URL it is told.
    const sendsToArns = definition.sendsTo ? [{ 'Fn::GetAtt': [sendsToQueueId(definition.sendsTo), 'Arn'] }] : [];
    const sqsStatements = statements.filter((s) => s.actions.some((action) => action.startsWith('sqs:')));
    expect(sqsStatements).toEqual([expect.objectContaining({ actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'] })]);
    expect(sqsStatements[0]!.resources).toHaveLength(1 + sendsToArns.length);
    expect(sqsStatements[0]!.resources).toEqual(expect.arrayContaining([queueArn, ...sendsToArns]));
  });
});

describe.each(emailScopedRules)('email-scoped event rule %s', (name, definition) => {
  const prefix = `${name}Rule`;
  /** What an event rule deploys, each under its construct (`<name>Rule`): one of each. */
  const ruleResourceTypes = [
    'AWS::Lambda::Function',
    'AWS::IAM::Role',
    'AWS::Logs::LogGroup',
    'AWS::Lambda::EventInvokeConfig',
    'AWS::Lambda::Permission',
    'AWS::SQS::Queue',
    'AWS::SQS::QueuePolicy',
    'AWS::Events::Rule',
  ];
  const idsWithPrefix = (template: ReturnType<typeof synthesize>, type?: string) =>
    Object.entries(resourcesOf(template))
      .filter(([id, resource]) => id.startsWith(prefix) && (type === undefined || resource.Type === type))
      .map(([id]) => id);
  const alarmNamesOf = (template: ReturnType<typeof synthesize>) =>
    Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => String(alarm.Properties.AlarmName));
  const alarmPrefix = `crm-test-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}-`;

  it('is not deployed without an email section: no function, rule, dead-letter queue or alarm, as no SES event can come', () => {
    const template = synthesize();
    expect(idsWithPrefix(template)).toEqual([]);
    expect(alarmNamesOf(template).filter((alarmName) => alarmName.startsWith(alarmPrefix))).toEqual([]);
    template.resourceCountIs('AWS::Events::Rule', rules.length - emailScopedRules.length);
    template.resourceCountIs('AWS::SES::ConfigurationSet', 0);
  });

  it.each<[string, StackConfigInput, string]>([
    ['named after the stack by default', withEmail, 'crm-test'],
    ['named by email.configurationSetName', { email: { ...withEmail.email, configurationSetName: 'acme-crm-mail' } }, 'acme-crm-mail'],
  ])('is deployed once with email, for the events of the stack\'s configuration set only (%s)', (_case, config, configurationSetName) => {
    const template = synthesize(config);
    const [configurationSetId] = Object.keys(template.findResources('AWS::SES::ConfigurationSet'));
    expect(resourcesOf(template)[configurationSetId!]!.Properties!.Name).toBe(configurationSetName);

    for (const type of ruleResourceTypes) expect(idsWithPrefix(template, type), type).toHaveLength(1);
    expect(alarmNamesOf(template).filter((alarmName) => alarmName.startsWith(alarmPrefix))).toHaveLength(4);
    const ruleIds = idsWithPrefix(template, 'AWS::Events::Rule');
    const pattern = resourcesOf(template)[ruleIds[0]!]!.Properties!.EventPattern;
    // A reference to the stack's own set, which resolves to its name.
    expect(pattern.detail.mail.tags['ses:configuration-set']).toEqual([{ Ref: configurationSetId }]);
    const expected = deployedEventPattern(definition, { configurationSetName });
    expect(withConfigurationSetNames(template, pattern)).toEqual(expected);
    expect(expected).toEqual({ ...definition.eventPattern, detail: { mail: { tags: { 'ses:configuration-set': [configurationSetName] } } } });
  });
});

describe('the email events rule', () => {
  it('is scoped to the email configuration set', () => {
    expect(functionManifest.emailEvents.trigger.scope).toBe('emailConfigurationSet');
  });

  it("asks only for detail types the CRM's configuration set publishes", () => {
    const published = publishedEmailEvents.map((event) => sesDetailTypes[event]);
    const pattern = functionManifest.emailEvents.trigger.eventPattern;

    expect(pattern.source).toEqual(['aws.ses']);
    expect(pattern['detail-type'].length).toBeGreaterThan(0);
    expect(pattern['detail-type'].filter((detailType) => !published.includes(detailType))).toEqual([]);
  });
});
