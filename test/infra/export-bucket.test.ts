import { describe, expect, it } from 'vitest';
import { functionIdWithPrefix, resourcesOf, statementsForFunction, synthesize } from './stack-fixture';

describe('export bucket', () => {
  const template = synthesize();
  const resources = resourcesOf(template);
  const [bucketId, bucket] = Object.entries(resources).find(([id, resource]) => resource.Type === 'AWS::S3::Bucket' && id.startsWith('ExportsFiles'))!;

  it('is private, encrypted, HTTPS only, and keeps files and unfinished uploads a day', () => {
    expect(bucket.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 1, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }] },
    });
    const policy = Object.values(resources).find((resource) => resource.Type === 'AWS::S3::BucketPolicy' && resource.Properties!.Bucket.Ref === bucketId)!;
    expect(policy.Properties!.PolicyDocument.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('is written by the export step and the import step, read by the functions that sign its URLs, and by nothing else', () => {
    const objects = (prefix: string) => ({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/${prefix}/*`]] });
    const onBucket = (id: string) =>
      statementsForFunction(template, id)
        .filter((statement) => JSON.stringify(statement.resources).includes(bucketId))
        .map(({ actions, resources: on }) => ({ actions: [...actions].sort(), resources: on }));
    const users = {
      [functionIdWithPrefix(template, 'exportStepTask')]: [{ actions: ['s3:AbortMultipartUpload', 's3:PutObject'], resources: [objects('exports')] }],
      [functionIdWithPrefix(template, 'exportsFunction')]: [{ actions: ['s3:GetObject'], resources: [objects('exports')] }],
      // Reads the file from a byte offset; writes the error report.
      [functionIdWithPrefix(template, 'importStepTask')]: [{ actions: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'], resources: [objects('imports')] }],
      // Signs the upload URL, reads the file's header, signs the error report's URL.
      [functionIdWithPrefix(template, 'importsFunction')]: [{ actions: ['s3:GetObject', 's3:PutObject'], resources: [objects('imports')] }],
    };
    for (const id of Object.keys(template.findResources('AWS::Lambda::Function'))) expect(onBucket(id), id).toEqual(users[id] ?? []);
    for (const id of Object.keys(users)) expect(resources[id]!.Properties!.Environment.Variables.EXPORT_BUCKET).toEqual({ Ref: bucketId });
  });
});
