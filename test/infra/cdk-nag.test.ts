import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it, vi } from 'vitest';
import type { StackConfigInput } from '../../infra/stack-config';
import { buildStack, testApp } from './stack-fixture';

const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

const configs: [string, StackConfigInput][] = [
  ['the default (dev) configuration', {}],
  [
    'cognito with machine clients, required MFA and a customer managed key',
    {
      auth: { mode: 'cognito', mfa: 'required', machineClients: [{ name: 'etl', scopes: ['crm/read', 'crm/write'] }] },
      tableEncryption: 'customer-managed',
    },
  ],
  ['cognito without threat protection', { auth: { mode: 'cognito', threatProtection: 'off' } }],
  [
    'oidc with an existing key',
    {
      auth: { mode: 'oidc', issuer: 'https://login.acme.example/', audience: ['crm-api'] },
      tableEncryption: 'customer-managed',
      tableKmsKeyArn: keyArn,
    },
  ],
  [
    'alarms mailed, thresholds tuned and a custom domain',
    {
      alarms: { email: 'ops@acme.example', periodMinutes: 1, evaluationPeriods: 3, apiErrorRatePercent: 5 },
      customDomain: {
        domainName: 'crm.acme.example',
        certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab',
      },
    },
  ],
  ['no alarms and no dashboard', { alarms: { enabled: false }, dashboard: false }],
  ['email from a domain identity the stack creates', { email: { fromAddress: 'crm@acme.example', fromName: 'Acme' } }],
  ['email with receiving on a subdomain', { email: { fromAddress: 'crm@acme.example', inbound: { domain: 'inbound.acme.example' } } }],
  [
    'email from an existing address identity, with a named configuration set',
    { email: { fromAddress: 'crm@acme.example', identity: 'crm@acme.example', createIdentity: false, configurationSetName: 'acme-crm' } },
  ],
];

/** Synthesizes like `cdk synth` does, AWS Solutions checks included: an unacknowledged error throws. */
function synthesizeWithChecks(config: StackConfigInput) {
  const app = testApp();
  const stack = buildStack(app, config);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  app.synth();
  return { app, stack };
}

/** Findings left after acknowledgements, warnings included (the synth only fails on errors). */
function unacknowledgedFindings(scope: IConstruct) {
  return new AwsSolutionsChecks().validateScope(scope).violations.map((violation) => ({
    rule: violation.ruleName,
    severity: violation.severity,
    resources: violation.violatingResources.map((resource) => resource.constructPath),
  }));
}

/** Every acknowledgement in the tree: rule id, where, and the reason given. */
function acknowledgements(scope: IConstruct) {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          rule: id.replace(/^annotation::/i, ''),
          path: construct.node.path,
          reason,
        })),
      ),
  );
}

describe('AWS Solutions checks (cdk-nag)', () => {
  it.each(configs)('pass with %s: zero unacknowledged errors or warnings', (_name, config) => {
    const { app } = synthesizeWithChecks(config);
    expect(unacknowledgedFindings(app)).toEqual([]);
  });

  it('acknowledge only the public routes, optional MFA, the dead-letter queues having no consumer of their own, the state machines\' untraced runs, the export bucket\'s access logs and the documented wildcards, each with a reason', () => {
    const { stack } = synthesizeWithChecks({ email: { fromAddress: 'crm@acme.example' } });
    const acknowledged = acknowledgements(stack);
    const schedulerFunctionId = Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find((id) => id.startsWith('schedulerSchedule'));
    const exportBucketId = Object.keys(Template.fromStack(stack).findResources('AWS::S3::Bucket')).find((id) => id.startsWith('ExportsFiles'));
    const stepFunctionIds = ['sequenceStep', 'workflowStep', 'exportStep', 'importStep', 'reportRebuildStep'].map((task) => Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find((id) => id.startsWith(`${task}Task`)));

    expect(acknowledged.map(({ rule, path }) => `${rule} ${path}`).sort()).toEqual([
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/GET--docs',
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/GET--docs--{asset}',
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/GET--dashboard',
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/GET--dashboard--{asset}',
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/GET--health',
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/GET--openapi.json',
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/GET--unsubscribe',
      'AwsSolutions-APIG4 crm-test/HttpApi/Api/POST--unsubscribe',
      'AwsSolutions-COG2 crm-test/Auth/UserPool/Pool',
      ...['SequenceRun', 'WorkflowRun', 'ExportRun', 'ImportRun', 'ReportRebuild'].flatMap((machine, index) => [
        // Log delivery actions, which IAM only authorizes on "*" (the statement is pinned in crm-stack.test.ts).
        `AwsSolutions-IAM5[Resource::*] crm-test/${machine}/StateMachine/Role/DefaultPolicy`,
        // The step function's versions and aliases, and no other function.
        `AwsSolutions-IAM5[Resource::<${stepFunctionIds[index]}.Arn>:*] crm-test/${machine}/StateMachine/Role/DefaultPolicy`,
        `AwsSolutions-SF2 crm-test/${machine}/StateMachine`,
      ]),
      'AwsSolutions-SQS3 crm-test/emailEventsRule/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/eventPublisherConsumer/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/recordSweeperConsumer/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/reportKeeperConsumer/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/schemaFollowUpConsumer/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/recordIndexerConsumer/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/sequenceStarterConsumer/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/sequenceStopperRule/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/workflowTriggerRule/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/webhookFanoutRule/DeadLetterQueue',
      'AwsSolutions-SQS3 crm-test/schedulerSchedule/DeadLetterQueue',
      // Not the webhook deliveries queue's dead-letter queue: its queue's redrive policy names it, so cdk-nag reports nothing there.
      // The export files, named by export id at run time: the objects under the exports prefix of the one bucket.
      ...['exportStepTask', 'exportsFunction'].map((fn) => `AwsSolutions-IAM5[Resource::<${exportBucketId}.Arn>/exports/*] crm-test/${fn}/Role/DefaultPolicy`),
      // The import files and their error reports, named by import id: the objects under the imports prefix.
      ...['importStepTask', 'importsFunction'].map((fn) => `AwsSolutions-IAM5[Resource::<${exportBucketId}.Arn>/imports/*] crm-test/${fn}/Role/DefaultPolicy`),
      // Copies of records kept a day: no second bucket recording who downloaded which.
      'AwsSolutions-S1 crm-test/Exports/Files',
      // The schedule's role: its function's versions and aliases, and no other function.
      `AwsSolutions-IAM5[Resource::<${schedulerFunctionId}.Arn>:*] crm-test/schedulerSchedule/InvokeRole/DefaultPolicy`,
    ].sort());
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(80);
  });

  it.each(configs)('acknowledge nothing that would not be reported, with %s', (_name, config) => {
    const { stack } = synthesizeWithChecks(config);
    const acknowledged = acknowledgements(stack);

    // The same stack with every acknowledgement ignored: what the checks find on their own.
    const ignoreAcknowledgements = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    let findings: ReturnType<typeof unacknowledgedFindings>;
    try {
      const bare = testApp();
      buildStack(bare, config);
      findings = unacknowledgedFindings(bare);
    } finally {
      ignoreAcknowledgements.mockRestore();
    }

    for (const { rule, path } of acknowledged) {
      const answered = findings.some((finding) => finding.rule === rule && finding.resources.some((resource) => resource?.startsWith(`${path}/`)));
      expect(answered, `${rule} on ${path}`).toBe(true);
    }
  });

  it('acknowledge the Essentials plan only when the config turns threat protection off', () => {
    const rules = (config: StackConfigInput) => acknowledgements(synthesizeWithChecks(config).stack).map((a) => a.rule);

    expect(rules({ auth: { mode: 'cognito', threatProtection: 'off' } })).toContain('AwsSolutions-COG8');
    expect(rules({ auth: { mode: 'cognito', mfa: 'required' } })).not.toContain('AwsSolutions-COG2');
    expect(rules({})).not.toContain('AwsSolutions-COG8');
  });

  it('fail the synth on an unacknowledged error', () => {
    const app = testApp();
    const stack = buildStack(app, {});
    new Key(stack, 'UnrotatedKey');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    expect(() => app.synth()).toThrow(/AwsSolutions-KMS5/);
  });
});
