import type { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionsTriggeredBy } from '../../functions/manifest';
import type { StackConfigInput } from '../../infra/stack-config';
import { functionIdWithPrefix, resourcesOf, statementsForFunction, synthesize } from './stack-fixture';

/** Construct-id prefixes of the functions whose definitions say `sendsEmail`. */
const senderPrefixes = [
  ...functionsTriggeredBy('http').filter(([, d]) => d.sendsEmail).map(([name]) => `${name}Function`),
  ...functionsTriggeredBy('stateMachineTask').filter(([, d]) => d.sendsEmail).map(([name]) => `${name}Task`),
  ...functionsTriggeredBy('schedule').filter(([, d]) => d.sendsEmail).map(([name]) => `${name}Schedule`),
  ...functionsTriggeredBy('queue').filter(([, d]) => d.sendsEmail).map(([name]) => `${name}Queue`),
];

const sesArn = (resource: unknown) => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ses:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ...[resource].flat()]],
});

const idsOfType = (template: Template, type: string) => Object.keys(template.findResources(type));
const onlyIdOfType = (template: Template, type: string) => {
  const ids = idsOfType(template, type);
  expect(ids, type).toHaveLength(1);
  return ids[0]!;
};

function functionEnvironments(template: Template) {
  return Object.entries(template.findResources('AWS::Lambda::Function')).map(([id, fn]) => ({
    id,
    variables: fn.Properties.Environment.Variables as Record<string, unknown>,
  }));
}

function sesStatementsByFunction(template: Template) {
  return Object.keys(template.findResources('AWS::Lambda::Function')).map((id) => ({
    id,
    statements: statementsForFunction(template, id).filter((s) => s.actions.some((action) => action.startsWith('ses:'))),
  }));
}

const sender = { fromAddress: 'crm@acme.example', fromName: 'Acme Sales' };

describe('email sending, from a domain identity the stack creates', () => {
  const template = synthesize({ email: sender });
  const configurationSetId = onlyIdOfType(template, 'AWS::SES::ConfigurationSet');
  const identityId = onlyIdOfType(template, 'AWS::SES::EmailIdentity');

  it('has one configuration set named after the stack: TLS required, reputation metrics on, bounces and complaints suppressed', () => {
    expect(resourcesOf(template)[configurationSetId]!.Properties).toEqual({
      Name: 'crm-test',
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
      SendingOptions: { SendingEnabled: true },
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
    });
  });

  it("publishes sends, deliveries, bounces, complaints, rejects, rendering failures and delays to the account's default event bus", () => {
    template.resourceCountIs('AWS::SES::ConfigurationSetEventDestination', 1);
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      ConfigurationSetName: { Ref: configurationSetId },
      EventDestination: {
        Enabled: true,
        EventBridgeDestination: {
          EventBusArn: {
            'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':events:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-bus/default']],
          },
        },
        MatchingEventTypes: ['send', 'delivery', 'bounce', 'complaint', 'reject', 'renderingFailure', 'deliveryDelay'],
      },
    });
  });

  it("creates the sender's domain as identity: Easy DKIM with 2048-bit keys, the CRM's set as its default, no feedback mails", () => {
    expect(resourcesOf(template)[identityId]!.Properties).toEqual({
      EmailIdentity: 'acme.example',
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      ConfigurationSetAttributes: { ConfigurationSetName: { Ref: configurationSetId } },
      FeedbackAttributes: { EmailForwardingEnabled: false },
    });
  });

  it('lets exactly the functions that send email call ses:SendEmail, on the identity and the configuration set only, from the sender only', () => {
    const senderIds = senderPrefixes.map((prefix) => functionIdWithPrefix(template, prefix));
    expect(senderIds.length).toBeGreaterThanOrEqual(2);

    for (const { id, statements } of sesStatementsByFunction(template)) {
      if (!senderIds.includes(id)) {
        expect(statements, `${id} may not send`).toEqual([]);
        continue;
      }
      expect(statements).toEqual([
        expect.objectContaining({
          Effect: 'Allow',
          actions: ['ses:SendEmail'],
          resources: [sesArn([':configuration-set/', { Ref: configurationSetId }]), sesArn([':identity/', { Ref: identityId }])],
          Condition: { StringEquals: { 'ses:FromAddress': 'crm@acme.example' } },
        }),
      ]);
    }
  });

  it('tells the senders where the API is, for unsubscribe links, and no other function', () => {
    const senderIds = senderPrefixes.map((prefix) => functionIdWithPrefix(template, prefix));
    for (const { id, variables } of functionEnvironments(template)) {
      expect(variables.PUBLIC_API_URL !== undefined, id).toBe(senderIds.includes(id));
    }
  });

  it('tells the senders the address, the display name and the configuration set, and no other function', () => {
    const senderIds = senderPrefixes.map((prefix) => functionIdWithPrefix(template, prefix));
    for (const { id, variables } of functionEnvironments(template)) {
      const emailSettings = Object.fromEntries(
        Object.entries(variables).filter(([key]) => key.startsWith('EMAIL_') || key.startsWith('SES_')),
      );
      expect(emailSettings, id).toEqual(
        senderIds.includes(id)
          ? { EMAIL_FROM_ADDRESS: 'crm@acme.example', EMAIL_FROM_NAME: 'Acme Sales', SES_CONFIGURATION_SET_NAME: { Ref: configurationSetId } }
          : {},
      );
    }
  });

  it('outputs the configuration set, the identity and the three DKIM CNAME records to publish', () => {
    template.hasOutput('EmailConfigurationSetName', { Value: { Ref: configurationSetId } });
    template.hasOutput('EmailIdentity', { Value: 'acme.example' });
    for (const n of [1, 2, 3]) {
      template.hasOutput(`EmailDkimRecord${n}`, {
        Value: {
          'Fn::Join': ['', [{ 'Fn::GetAtt': [identityId, `DkimDNSTokenName${n}`] }, ' CNAME ', { 'Fn::GetAtt': [identityId, `DkimDNSTokenValue${n}`] }]],
        },
      });
    }
    expect(Object.keys(template.toJSON().Outputs).filter((key) => key.startsWith('EmailDkimRecord'))).toHaveLength(3);
  });
});

describe('email sending through an identity that already exists', () => {
  const template = synthesize({
    email: { fromAddress: 'crm@acme.example', createIdentity: false, configurationSetName: 'acme-crm' },
  });

  it('creates no identity and outputs no DKIM records, only the identity it uses', () => {
    template.resourceCountIs('AWS::SES::EmailIdentity', 0);
    template.hasOutput('EmailIdentity', { Value: 'acme.example' });
    expect(Object.keys(template.toJSON().Outputs).filter((key) => key.startsWith('EmailDkimRecord'))).toEqual([]);
  });

  it('names the configuration set as configured', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { Name: 'acme-crm' });
  });

  it("grants sending on that identity's ARN in the stack's account and region", () => {
    const identityArn = sesArn(':identity/acme.example');
    const senderStatements = sesStatementsByFunction(template).flatMap(({ statements }) => statements);
    expect(senderStatements).toHaveLength(senderPrefixes.length);
    for (const statement of senderStatements) expect(statement.resources).toContainEqual(identityArn);
  });
});

describe('email sending from an address identity', () => {
  const template = synthesize({ email: { fromAddress: 'crm@acme.example', identity: 'crm@acme.example' } });

  it('creates the address as identity (SES mails it a verification link), without DKIM settings or records', () => {
    const identity = Object.values(template.findResources('AWS::SES::EmailIdentity'))[0]!.Properties;
    expect(identity.EmailIdentity).toBe('crm@acme.example');
    expect(identity).not.toHaveProperty('DkimSigningAttributes');
    expect(Object.keys(template.toJSON().Outputs).filter((key) => key.startsWith('EmailDkimRecord'))).toEqual([]);
  });
});

describe.each<[string, StackConfigInput]>([
  ['no email section', {}],
  ['email configured', { email: sender }],
])('SES permissions with %s', (_name, config) => {
  const template = synthesize(config);

  it('never allow ses:* nor any SES action on every resource', () => {
    const statements = sesStatementsByFunction(template).flatMap(({ statements }) => statements);
    for (const statement of statements) {
      expect(statement.actions).toEqual(['ses:SendEmail']);
      expect(statement.resources).not.toContain('*');
    }
  });
});

describe('without an email section', () => {
  const template = synthesize();

  it('has no SES resources, no function may send and none is told a sender', () => {
    expect(Object.values(resourcesOf(template)).filter((resource) => resource.Type.startsWith('AWS::SES::'))).toEqual([]);
    expect(sesStatementsByFunction(template).flatMap(({ statements }) => statements)).toEqual([]);
    for (const { id, variables } of functionEnvironments(template)) {
      expect(Object.keys(variables).filter((key) => key.startsWith('EMAIL_') || key.startsWith('SES_')), id).toEqual([]);
    }
  });

  it('outputs nothing about email', () => {
    expect(Object.keys(template.toJSON().Outputs).filter((key) => key.startsWith('Email'))).toEqual([]);
  });
});
