import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { createDeadLetterQueue } from './dead-letter-queue';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import { Lambda as LambdaAction, LambdaInvocationType, S3 as S3Action } from 'aws-cdk-lib/aws-ses-actions';
import { Construct } from 'constructs';
import type { EmailConfig } from '../stack-config';

export interface CrmInboundEmailProps {
  readonly config: NonNullable<EmailConfig['inbound']>;
}

/** Where raw messages go in the bucket; the function reads them back by SES's message id. */
export const INBOUND_MAIL_PREFIX = 'inbound/';

/**
 * SES receiving for the stage's inbound domain: a receipt rule set whose one rule (TLS
 * required, spam and virus scanning on) stores each message in an encrypted bucket that
 * expires it, then invokes the inbound email function asynchronously with SES's receipt.
 * SES has one active rule set per account and region, and CloudFormation cannot activate
 * one: docs/integrations.md gives the one command that does, and the MX record to publish.
 */
export class CrmInboundEmail extends Construct {
  readonly bucket: Bucket;
  readonly ruleSet: ReceiptRuleSet;
  readonly domain: string;
  /** What the inbound function reads: the domain, the bucket and the prefix. */
  readonly functionEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: CrmInboundEmailProps) {
    super(scope, id);
    this.domain = props.config.domain;
    this.bucket = new Bucket(this, 'Mail', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(props.config.retentionDays) }],
      // Mail is personal data the stage stops needing once logged: it goes with the stack.
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only SES writes to this bucket (its receipt rule) and only the inbound email function reads it; both are logged ' +
        '(the function\'s log names each message). Server access logs would add a second bucket holding who read which mail.',
    });
    this.ruleSet = new ReceiptRuleSet(this, 'RuleSet', { receiptRuleSetName: `${Stack.of(this).stackName}-inbound` });
    this.functionEnvironment = { INBOUND_EMAIL_DOMAIN: this.domain, INBOUND_MAIL_BUCKET: this.bucket.bucketName, INBOUND_MAIL_PREFIX };
  }

  /** The receipts the function kept failing on (SES invokes it asynchronously: Lambda retries twice). */
  deadLetterQueue?: Queue;

  /** The rule: store, then hand the receipt to `handler`, which may read what was stored. */
  receiveWith(handler: NodejsFunction): void {
    this.deadLetterQueue = createDeadLetterQueue(this, "the inbound email function's asynchronous invocations");
    handler.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(6), onFailure: new SqsDestination(this.deadLetterQueue) });
    this.ruleSet.addRule('Receive', {
      recipients: [this.domain],
      scanEnabled: true,
      tlsPolicy: TlsPolicy.REQUIRE,
      actions: [new S3Action({ bucket: this.bucket, objectKeyPrefix: INBOUND_MAIL_PREFIX }), new LambdaAction({ function: handler, invocationType: LambdaInvocationType.EVENT })],
    });
    // GetObject only (grantRead would add List and GetBucket*): the function reads a message by its key.
    handler.addToRolePolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects(`${INBOUND_MAIL_PREFIX}*`)] }));
    const bucketId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId);
    const policy = handler.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${INBOUND_MAIL_PREFIX}*]`,
        reason: 'Each received message is an object named by the id SES gives it on arrival, unknown in advance: the function may read the objects under the inbound prefix of this one bucket, and nothing else of S3.',
      });
    }
  }
}
