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

  it('is written by the export step, read (for presigned URLs) by the exports function, and by nothing else', () => {
    const objects = { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/exports/*']] };
    const onBucket = (id: string) =>
      statementsForFunction(template, id)
        .filter((statement) => JSON.stringify(statement.resources).includes(bucketId))
        .map(({ actions, resources: on }) => ({ actions: [...actions].sort(), resources: on }));
    const step = functionIdWithPrefix(template, 'exportStepTask');
    const api = functionIdWithPrefix(template, 'exportsFunction');
    expect(onBucket(step)).toEqual([{ actions: ['s3:AbortMultipartUpload', 's3:PutObject'], resources: [objects] }]);
    expect(onBucket(api)).toEqual([{ actions: ['s3:GetObject'], resources: [objects] }]);
    for (const id of Object.keys(template.findResources('AWS::Lambda::Function')).filter((candidate) => candidate !== step && candidate !== api)) expect(onBucket(id), id).toEqual([]);
    for (const id of [step, api]) expect(resources[id]!.Properties!.Environment.Variables.EXPORT_BUCKET).toEqual({ Ref: bucketId });
  });
});
