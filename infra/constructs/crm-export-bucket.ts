import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where export files are written: the functions' objects are all under it. */
export const EXPORT_PREFIX = 'exports/';

/**
 * The bucket export files are written to and downloaded from (presigned URLs). Files hold
 * records, so they expire a day after they are written, and an upload a failed export left
 * unfinished is dropped after a day too.
 */
export class CrmExportBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      lifecycleRules: [{ expiration: Duration.days(1), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Files are copies of records, kept a day: they go with the stack (an emptied bucket; see docs/deploy.md).
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the export step writes this bucket and only presigned URLs the exports function signs read it; both are in the ' +
        "functions' logs. Server access logs would add a second bucket recording who downloaded which copy of the records.",
    });
  }

  /** `write`: multipart uploads of export files; `download`: GetObject, which the URLs it presigns use. Nothing else of S3. */
  grant(handler: IFunction, use: 'write' | 'download'): void {
    const actions = use === 'write' ? ['s3:PutObject', 's3:AbortMultipartUpload'] : ['s3:GetObject'];
    handler.addToRolePolicy(new PolicyStatement({ actions, resources: [this.bucket.arnForObjects(`${EXPORT_PREFIX}*`)] }));
    const bucketId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId);
    const policy = handler.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${EXPORT_PREFIX}*]`,
        reason: 'Each export file is an object named by its export id, made at run time: the function may use the objects under the exports prefix of this one bucket, and nothing else of S3.',
      });
    }
  }
}
