import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { crmEventTypes } from '../../domain/events/crm-events';
import { eventSchemaText } from '../../schemas/event-schema-files';
import { functionIdWithPrefix, resourcesOf, statementsForFunction, synthesize } from './stack-fixture';

describe("the stage's event bus", () => {
  const template = synthesize();
  const resources = resourcesOf(template);
  const busId = Object.keys(template.findResources('AWS::Events::EventBus'))[0]!;

  it('is crm-<stage>, archived 7 days by default for replay', () => {
    expect(Object.keys(template.findResources('AWS::Events::EventBus'))).toHaveLength(1);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'crm-test' });
    template.hasResourceProperties('AWS::Events::Archive', { SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] }, RetentionDays: 7, EventPattern: { source: ['crm'] } });
    expect(Object.keys(synthesize({ events: { archiveDays: 0 } }).findResources('AWS::Events::Archive'))).toEqual([]);
  });

  it('is the only bus the event publisher may put events on, and the publisher knows its name', () => {
    const publisherId = functionIdWithPrefix(template, 'eventPublisherConsumer');
    const putEvents = statementsForFunction(template, publisherId).filter((statement) => statement.actions.some((action) => action.startsWith('events:')));
    expect(putEvents).toEqual([expect.objectContaining({ actions: ['events:PutEvents'], resources: [{ 'Fn::GetAtt': [busId, 'Arn'] }] })]);
    expect(resources[publisherId]!.Properties!.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
    // Nobody else may publish on it.
    const others = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id !== publisherId);
    for (const id of others) expect(statementsForFunction(template, id).flatMap((statement) => statement.actions)).not.toContain('events:PutEvents');
  });

  it('has a schema registry with every event type, the same documents as schemas/events', () => {
    const schemas = Object.values(template.findResources('AWS::EventSchemas::Schema'));
    expect(schemas.map((schema) => schema.Properties.SchemaName).sort()).toEqual(crmEventTypes.map((type) => `crm@${type}`).sort());
    for (const schema of schemas) {
      const type = (schema.Properties.SchemaName as string).slice('crm@'.length) as (typeof crmEventTypes)[number];
      expect(schema.Properties.Type).toBe('JSONSchemaDraft4');
      expect(JSON.parse(schema.Properties.Content)).toEqual(JSON.parse(eventSchemaText(type)));
    }
    template.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'crm-test' });
  });

  it('lets the accounts the stage config names manage only the rules they created on it', () => {
    expect(Object.keys(template.findResources('AWS::Events::EventBusPolicy'))).toEqual([]);
    const shared = synthesize({ events: { ruleAccounts: ['210987654321'] } });
    shared.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: Match.anyValue(),
      Statement: Match.objectLike({
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Join': ['', Match.arrayWith([':iam::210987654321:root'])] } },
        Action: Match.arrayWith(['events:PutRule', 'events:PutTargets', 'events:DeleteRule']),
        Condition: { StringEqualsIfExists: { 'events:creatorAccount': '210987654321' } },
      }),
    });
  });

  it('watches the publisher: errors, iterator age and its dead-letter queue raise alarms', () => {
    const alarmNames = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => JSON.stringify(alarm.Properties.AlarmName));
    for (const suffix of ['event-publisher-errors', 'event-publisher-iterator-age', 'event-publisher-dead-letters'])
      expect(
        alarmNames.some((name) => name.includes(suffix)),
        suffix,
      ).toBe(true);
  });
});
