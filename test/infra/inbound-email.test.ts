import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionManifest } from '../../functions/manifest';
import { parseStackConfig } from '../../infra/stack-config';
import { resourcesOf, statementsForFunction, synthesize, type Resource } from './stack-fixture';

/**
 * SES receiving (email.inbound): a rule set whose rule stores each message in an encrypted,
 * expiring bucket and then hands the receipt to the inbound function, which alone may read
 * the bucket; the functions that send mail and the logging-address API learn the domain.
 */

const inboundDomain = 'inbound.acme.example';
const template = synthesize({ email: { fromAddress: 'crm@acme.example', inbound: { domain: inboundDomain, retentionDays: 14 } } });
const resources = resourcesOf(template);
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type) as [string, Resource][];
const functionId = (prefix: string) => ofType('AWS::Lambda::Function').find(([id]) => id.startsWith(prefix))![0];
const environmentOf = (id: string) => resources[id]!.Properties!.Environment.Variables as Record<string, unknown>;

describe('inbound email', () => {
  it('stores mail in a bucket that is encrypted, private, TLS-only and expires it', () => {
    const [[bucketId, bucket]] = ofType('AWS::S3::Bucket') as [[string, Resource]];
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 14, Status: 'Enabled' })] },
    });
    const [[, policy]] = ofType('AWS::S3::BucketPolicy') as [[string, Resource]];
    const statements = policy.Properties!.PolicyDocument.Statement as Record<string, any>[];
    expect(statements.some((statement) => statement.Effect === 'Deny' && statement.Condition?.Bool?.['aws:SecureTransport'] === 'false')).toBe(true);
    // SES may put objects, for this account only.
    expect(statements.some((statement) => statement.Principal?.Service === 'ses.amazonaws.com' && statement.Action === 's3:PutObject' && statement.Condition?.StringEquals?.['aws:SourceAccount'])).toBe(true);
    expect(bucketId).toBeDefined();
  });

  it('has one receipt rule for the domain: TLS, scanning, then S3, then the function, asynchronously', () => {
    const receiver = functionId('inboundEmailReceiver');
    template.hasResourceProperties('AWS::SES::ReceiptRule', {
      Rule: Match.objectLike({
        Enabled: true,
        Recipients: [inboundDomain],
        ScanEnabled: true,
        TlsPolicy: 'Require',
        Actions: [
          { S3Action: Match.objectLike({ ObjectKeyPrefix: 'inbound/' }) },
          { LambdaAction: { FunctionArn: { 'Fn::GetAtt': [receiver, 'Arn'] }, InvocationType: 'Event' } },
        ],
      }),
    });
    template.resourceCountIs('AWS::SES::ReceiptRuleSet', 1);
  });

  it('lets only the receiver read the stored mail, and tells it where', () => {
    const receiver = functionId('inboundEmailReceiver');
    expect(environmentOf(receiver)).toMatchObject({ INBOUND_EMAIL_DOMAIN: inboundDomain, INBOUND_MAIL_BUCKET: { Ref: expect.any(String) }, INBOUND_MAIL_PREFIX: 'inbound/' });
    const bucketId = (environmentOf(receiver).INBOUND_MAIL_BUCKET as { Ref: string }).Ref;
    const readsMail = (id: string) =>
      statementsForFunction(template, id).some((statement) => statement.actions.some((action: string) => action.startsWith('s3:')) && JSON.stringify(statement.resources).includes(`"${bucketId}"`));
    const readers = ofType('AWS::Lambda::Function').map(([id]) => id).filter(readsMail);
    expect(readers).toEqual([receiver]);
  });

  it('gives the domain to every function that sends mail (Reply-To) and to the logging-address API, and to no other', () => {
    const told = ofType('AWS::Lambda::Function').filter(([, fn]) => fn.Properties!.Environment.Variables.INBOUND_EMAIL_DOMAIN === inboundDomain).map(([id]) => id);
    const expected = Object.entries(functionManifest)
      .filter(([, declaration]) => 'sendsEmail' in declaration || 'usesInboundDomain' in declaration || declaration.trigger.kind === 'inboundEmail')
      .map(([name]) => name);
    expect(told.length).toBe(expected.length);
    for (const name of expected) expect(told.some((id) => id.startsWith(name)), name).toBe(true);
  });

  it('keeps the receipts the function kept failing on in a dead-letter queue, which alarms', () => {
    const receiver = functionId('inboundEmailReceiver');
    const [, config] = ofType('AWS::Lambda::EventInvokeConfig').find(([, candidate]) => candidate.Properties!.FunctionName.Ref === receiver)!;
    expect(config.Properties).toMatchObject({ FunctionName: { Ref: receiver }, MaximumRetryAttempts: 2, DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } } } });
    const queueId = config.Properties!.DestinationConfig.OnFailure.Destination['Fn::GetAtt'][0];
    expect(resources[queueId]!.Type).toBe('AWS::SQS::Queue');
    const alarm = ofType('AWS::CloudWatch::Alarm').find(([, candidate]) => String(candidate.Properties!.AlarmName).endsWith('-inbound-email-dead-letters'));
    expect(alarm![1].Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
    // Its one metric is that queue's visible messages.
    expect(JSON.stringify(alarm![1].Properties)).toContain(JSON.stringify({ 'Fn::GetAtt': [queueId, 'QueueName'] }));
    expect(JSON.stringify(alarm![1].Properties)).toContain('ApproximateNumberOfMessagesVisible');
  });

  it('outputs the MX record to publish and the rule set to activate', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(JSON.stringify(outputs.InboundMxRecord!.Value)).toContain(`${inboundDomain} MX 10 inbound-smtp.`);
    expect(outputs.InboundReceiptRuleSet).toBeDefined();
  });

  it('refuses a receiving domain the sending identity does not cover', () => {
    expect(() => parseStackConfig({ email: { fromAddress: 'crm@acme.example', inbound: { domain: 'mail.other.example' } } })).toThrow(/inbound\.domain.*acme\.example/s);
    expect(() => parseStackConfig({ email: { fromAddress: 'crm@acme.example', inbound: { domain: 'acme.example' } } })).not.toThrow();
  });

  it('deploys no receiving without email.inbound', () => {
    const plain = resourcesOf(synthesize({ email: { fromAddress: 'crm@acme.example' } }));
    // The one bucket is the export bucket (crm-export-bucket.ts).
    expect(Object.entries(plain).filter(([id, resource]) => resource.Type.startsWith('AWS::SES::Receipt') || (resource.Type === 'AWS::S3::Bucket' && !id.startsWith('ExportsFiles')))).toEqual([]);
  });
});
