import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionManifest, functionsTriggeredBy, queueManifest, type FunctionDeclaration, type FunctionName } from '../../functions/manifest';
import { functionIdWithPrefix, resourcesOf, statementsForFunction, synthesize, withEmail } from './stack-fixture';

/** The prefix of each function's logical id (its construct id is `<name><prefix>`), by trigger kind. */
const idPrefix = { http: 'Function', stateMachineTask: 'Task', stream: 'Consumer', eventRule: 'Rule', schedule: 'Schedule', queue: 'Queue', inboundEmail: 'Receiver' } as const;
const declarations = Object.entries(functionManifest) as [FunctionName, FunctionDeclaration][];

/**
 * Every `queue` function of functions/manifest.ts: the queue of queueManifest it consumes
 * through an event source mapping, that queue's dead-letter queue, and who may send to it.
 * With email, so that every function of the manifest is deployed.
 */
describe.each(functionsTriggeredBy('queue'))('queue consumer %s', (name, declaration) => {
  const template = synthesize(withEmail);
  const resources = resourcesOf(template);
  const declared = queueManifest[declaration.trigger.queue];
  const functionId = functionIdWithPrefix(template, `${name}Queue`);
  const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).filter((mapping) => mapping.Properties.FunctionName.Ref === functionId);
  const queueId: string = mappings[0]?.Properties.EventSourceArn['Fn::GetAtt'][0];
  const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
  const deadLetterQueueId: string = resources[queueId]?.Properties?.RedrivePolicy?.deadLetterTargetArn['Fn::GetAtt'][0];
  const deadLetterQueueArn = { 'Fn::GetAtt': [deadLetterQueueId, 'Arn'] };

  it('consumes its queue in batches of batchSize, at most maxConcurrency at once, reporting failed messages one by one', () => {
    expect(mappings.map((mapping) => mapping.Properties)).toEqual([
      {
        EventSourceArn: queueArn,
        FunctionName: { Ref: functionId },
        BatchSize: declaration.trigger.batchSize,
        ScalingConfig: { MaximumConcurrency: declaration.trigger.maxConcurrency },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    ]);
    expect(resources[queueId]!.Type).toBe('AWS::SQS::Queue');
  });

  it('keeps messages as declared, hides a batch for six times the function timeout, and dead-letters a message received maxReceiveCount times', () => {
    expect(resources[queueId]!.Properties).toEqual({
      MessageRetentionPeriod: declared.retentionDays * 24 * 3600,
      VisibilityTimeout: declaration.timeoutSeconds * 6,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: deadLetterQueueArn, maxReceiveCount: declared.maxReceiveCount },
    });
  });

  it('keeps dead letters 14 days, longer than the queue keeps messages (a dead letter keeps its first enqueue time), encrypted', () => {
    expect(deadLetterQueueId).not.toBe(queueId);
    expect(resources[deadLetterQueueId]!.Properties).toEqual({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
    expect(declared.retentionDays).toBeLessThan(14);
  });

  it('takes both queues over TLS only, and gives no one access through a queue policy', () => {
    for (const id of [queueId, deadLetterQueueId]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: {
          Statement: [Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: { 'Fn::GetAtt': [id, 'Arn'] } })],
        },
      });
    }
  });

  it('lets its function receive, delete and re-time the messages of its queue, nothing else in SQS, and tells it the URL', () => {
    const sqsStatements = statementsForFunction(template, functionId).filter((s) => s.actions.some((action) => action.startsWith('sqs:')));
    expect(sqsStatements).toEqual([
      expect.objectContaining({
        actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
        resources: [queueArn],
      }),
    ]);
    expect(resources[functionId]!.Properties!.Environment.Variables[declared.urlSetting]).toEqual({ Ref: queueId });
  });

  it('lets exactly the functions that declare sendsTo this queue send to it, tells them its URL, and lets no function touch its dead-letter queue', () => {
    const senderIds = declarations
      .filter(([, d]) => d.sendsTo === declaration.trigger.queue)
      .map(([sender, d]) => functionIdWithPrefix(template, `${sender}${idPrefix[d.trigger.kind]}`));
    expect(senderIds.length).toBeGreaterThan(0);

    for (const id of Object.keys(template.findResources('AWS::Lambda::Function'))) {
      const statements = statementsForFunction(template, id);
      const onQueue = statements.filter((s) => s.resources.some((resource) => JSON.stringify(resource) === JSON.stringify(queueArn)));
      const sends = onQueue.some((s) => s.actions.includes('sqs:SendMessage'));
      expect(sends, `${id} sends to the queue`).toBe(senderIds.includes(id));
      if (senderIds.includes(id)) expect(onQueue.flatMap((s) => s.actions)).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']);
      const toldUrl = resources[id]!.Properties!.Environment.Variables[declared.urlSetting];
      expect(toldUrl, `${id} is told ${declared.urlSetting}`).toEqual(senderIds.includes(id) || id === functionId ? { Ref: queueId } : undefined);
      expect(statements.filter((s) => s.resources.some((resource) => JSON.stringify(resource) === JSON.stringify(deadLetterQueueArn))), id).toEqual([]);
    }
  });
});
