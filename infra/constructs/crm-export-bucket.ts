import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Where export files are written. */
export const EXPORT_PREFIX = 'exports/';
/** Where import files are uploaded, and their error reports written. */
export const IMPORT_PREFIX = 'imports/';

/**
 * The bucket export files are written to and downloaded from, and import files uploaded to
 * (presigned URLs). Files hold records, so they expire a day after they are written, and an
 * unfinished upload is dropped after a day too.
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

  /** What each use of the bucket may do (functions/manifest.ts, `files`), on the objects under its prefix only. */
  grant(handler: IFunction, use: 'exportWrite' | 'exportDownload' | 'importStart' | 'importRun'): void {
    const { actions, prefix } = {
      exportWrite: { actions: ['s3:PutObject', 's3:AbortMultipartUpload'], prefix: EXPORT_PREFIX },
      exportDownload: { actions: ['s3:GetObject'], prefix: EXPORT_PREFIX },
      importStart: { actions: ['s3:PutObject', 's3:GetObject'], prefix: IMPORT_PREFIX },
      importRun: { actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'], prefix: IMPORT_PREFIX },
    }[use];
    handler.addToRolePolicy(new PolicyStatement({ actions, resources: [this.bucket.arnForObjects(`${prefix}*`)] }));
    const bucketId = Stack.of(this).resolve((this.bucket.node.defaultChild as CfnBucket).logicalId);
    const policy = handler.role?.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
        reason: `Each file is an object named by its export or import id, made at run time: the function may use the objects under the ${prefix} prefix of this one bucket, and nothing else of S3.`,
      });
    }
  }
}
