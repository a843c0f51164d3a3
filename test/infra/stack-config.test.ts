import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { buildStack, testApp } from './stack-fixture';
import { loadStageConfig, parseStackConfig, sendingIdentityOf, StackConfigError } from '../../infra/stack-config';

const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const certificateArn = 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab';

/** The message `parse` fails with, or a test failure if it does not fail. */
function failure(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('parseStackConfig', () => {
  it('fills in every default from an empty configuration', () => {
    expect(parseStackConfig({})).toEqual({
      auth: {
        mode: 'cognito',
        machineClients: [],
        callbackUrls: ['http://localhost:3000/callback'],
        mfa: 'optional',
        threatProtection: 'enforced',
      },
      tableEncryption: 'aws-owned',
      throttle: { burstLimit: 200, rateLimit: 100 },
      logRetentionDays: 30,
      alarms: {
        enabled: true,
        periodMinutes: 5,
        evaluationPeriods: 1,
        apiErrorRatePercent: 1,
        apiLatencyP99Ms: 3000,
        apiMinRequests: 20,
        functionErrors: 1,
        functionThrottles: 1,
        streamIteratorAgeMinutes: 5,
        tableThrottledRequests: 1,
        tableSystemErrors: 1,
        emailBounceRatePercent: 5,
        emailComplaintRatePercent: 0.1,
        stateMachineFailedExecutions: 1,
        eventRuleFailedInvocations: 1,
        eventRuleDeadLetters: 1,
      },
      events: { ruleAccounts: [], archiveDays: 7 },
      imports: { concurrentRanges: 4, parallelBatches: 4 },
      dashboard: true,
    });
    expect(parseStackConfig({})).not.toHaveProperty('email');
  });

  it('accepts a full cognito configuration and a full oidc one', () => {
    const cognito = {
      mode: 'cognito',
      domainPrefix: 'acme-crm',
      machineClients: [
        { name: 'etl', scopes: ['crm/read'] },
        { name: 'billing-sync', scopes: ['crm/read', 'crm/write'] },
      ],
      callbackUrls: ['https://crm.acme.example/callback', 'http://localhost:5173/callback'],
      mfa: 'required',
      threatProtection: 'audit',
    } as const;
    const alarms = {
      enabled: true,
      email: 'ops@acme.example',
      periodMinutes: 15,
      evaluationPeriods: 2,
      apiErrorRatePercent: 0.5,
      apiLatencyP99Ms: 1500,
      apiMinRequests: 100,
      functionErrors: 3,
      functionThrottles: 2,
      streamIteratorAgeMinutes: 60,
      tableThrottledRequests: 10,
      tableSystemErrors: 5,
      emailBounceRatePercent: 2,
      emailComplaintRatePercent: 0.05,
      stateMachineFailedExecutions: 3,
      eventRuleFailedInvocations: 2,
      eventRuleDeadLetters: 10,
    };
    const customDomain = { domainName: 'crm.acme.example', certificateArn };
    const email = {
      fromAddress: 'sales@acme.example',
      fromName: 'Acme Sales',
      identity: 'acme.example',
      createIdentity: false,
      configurationSetName: 'acme_crm-prod',
    };
    const full = {
      auth: cognito,
      tableEncryption: 'customer-managed',
      tableKmsKeyArn: keyArn,
      throttle: { burstLimit: 50, rateLimit: 25.5 },
      logRetentionDays: 365,
      alarms,
      dashboard: false,
      customDomain,
      email,
      events: { ruleAccounts: ['210987654321'], archiveDays: 30 },
      tableWarmThroughput: { readUnitsPerSecond: 12_000, writeUnitsPerSecond: 40_000 },
      imports: { concurrentRanges: 12, parallelBatches: 8 },
    } as const;
    expect(parseStackConfig(full)).toEqual(full);

    expect(
      parseStackConfig({ auth: { mode: 'oidc', issuer: 'https://login.acme.example/', audience: ['crm-api'] } }).auth,
    ).toEqual({ mode: 'oidc', issuer: 'https://login.acme.example/', audience: ['crm-api'], roleClaim: 'cognito:groups' });
  });

  it('accepts a multi-Region key ARN', () => {
    const multiRegionKey = 'arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';
    expect(parseStackConfig({ tableEncryption: 'customer-managed', tableKmsKeyArn: multiRegionKey }).tableKmsKeyArn).toBe(
      multiRegionKey,
    );
  });

  it('fills in the alarm settings that are not given', () => {
    expect(parseStackConfig({ alarms: { email: 'ops@acme.example', apiErrorRatePercent: 2 } }).alarms).toEqual({
      ...parseStackConfig({}).alarms,
      email: 'ops@acme.example',
      apiErrorRatePercent: 2,
    });
    expect(parseStackConfig({ alarms: { enabled: false } }).alarms.enabled).toBe(false);
  });

  it('takes the sender address alone as enough to send: the identity is its domain, created by the stack', () => {
    const { email } = parseStackConfig({ email: { fromAddress: 'crm@Acme.Example' } });
    expect(email).toEqual({ fromAddress: 'crm@Acme.Example', createIdentity: true });
    expect(sendingIdentityOf(email!)).toBe('acme.example');
  });

  it('accepts the sender address itself as the identity, in any case', () => {
    const { email } = parseStackConfig({ email: { fromAddress: 'crm@acme.example', identity: 'CRM@acme.example' } });
    expect(sendingIdentityOf(email!)).toBe('CRM@acme.example');
  });

  it('fills in the throttle limit that is not given', () => {
    expect(parseStackConfig({ throttle: { rateLimit: 10 } }).throttle).toEqual({ burstLimit: 200, rateLimit: 10 });
  });

  it.each([
    ['an unknown auth mode', { auth: { mode: 'saml' } }, 'auth.mode'],
    ['an oidc issuer over plain http', { auth: { mode: 'oidc', issuer: 'http://login.acme.example', audience: ['a'] } }, 'auth.issuer: must be an https URL'],
    ['an oidc provider without audience', { auth: { mode: 'oidc', issuer: 'https://login.acme.example' } }, 'auth.audience'],
    ['an empty oidc audience', { auth: { mode: 'oidc', issuer: 'https://login.acme.example', audience: [] } }, 'auth.audience: at least one audience'],
    ['a cognito setting in oidc mode', { auth: { mode: 'oidc', issuer: 'https://x.example', audience: ['a'], domainPrefix: 'x' } }, 'Unrecognized key: "domainPrefix"'],
    ['a domain prefix with a reserved word', { auth: { mode: 'cognito', domainPrefix: 'acme-cognito' } }, 'auth.domainPrefix: may not contain'],
    ['a domain prefix with capitals', { auth: { mode: 'cognito', domainPrefix: 'Acme' } }, 'auth.domainPrefix: lowercase'],
    ['an unknown scope', { auth: { mode: 'cognito', machineClients: [{ name: 'etl', scopes: ['crm/root'] }] } }, 'auth.machineClients.0.scopes.0'],
    ['a machine client without scopes', { auth: { mode: 'cognito', machineClients: [{ name: 'etl', scopes: [] }] } }, 'auth.machineClients.0.scopes: a machine client needs at least one scope'],
    ['a machine client name with spaces', { auth: { mode: 'cognito', machineClients: [{ name: 'my etl', scopes: ['crm/read'] }] } }, 'auth.machineClients.0.name'],
    ['a machine client named like the user client', { auth: { mode: 'cognito', machineClients: [{ name: 'users', scopes: ['crm/read'] }] } }, 'auth.machineClients.0.name: "users" names the client'],
    ['two machine clients of one name', { auth: { mode: 'cognito', machineClients: [{ name: 'etl', scopes: ['crm/read'] }, { name: 'etl', scopes: ['crm/write'] }] } }, 'auth.machineClients: machine client names must be unique'],
    ['a plain http callback off localhost', { auth: { mode: 'cognito', callbackUrls: ['http://crm.acme.example/callback'] } }, 'auth.callbackUrls.0: must be https'],
    ['an unknown table encryption', { tableEncryption: 'aws-managed' }, 'tableEncryption'],
    ['a key ARN without customer-managed', { tableKmsKeyArn: keyArn }, 'tableKmsKeyArn: is only used with tableEncryption "customer-managed"'],
    ['a key alias instead of a key ARN', { tableEncryption: 'customer-managed', tableKmsKeyArn: 'alias/crm' }, 'tableKmsKeyArn: must be a KMS key ARN'],
    ['a retention CloudWatch does not offer', { logRetentionDays: 31 }, 'logRetentionDays: must be one of 1, 3, 5, 7, 14, 30'],
    ['logs kept forever', { logRetentionDays: 9999 }, 'logRetentionDays: must be one of'],
    ['a fractional burst limit', { throttle: { burstLimit: 1.5 } }, 'throttle.burstLimit'],
    ['a zero rate limit', { throttle: { rateLimit: 0 } }, 'throttle.rateLimit'],
    ['a misspelt key', { logRetention: 30 }, 'Unrecognized key: "logRetention"'],
    ['an alarm email that is not an address', { alarms: { email: 'ops' } }, 'alarms.email: must be an email address'],
    ['an alarm email with alarms off', { alarms: { enabled: false, email: 'ops@acme.example' } }, 'alarms.email: is only used when alarms.enabled is true'],
    ['alarms given as a boolean', { alarms: false }, 'alarms: Invalid input: expected object'],
    ['an alarm period CloudWatch does not offer', { alarms: { periodMinutes: 2 } }, 'alarms.periodMinutes: must be one of 1, 5, 10, 15, 30, 60'],
    ['no evaluation period', { alarms: { evaluationPeriods: 0 } }, 'alarms.evaluationPeriods: must be at least 1'],
    ['a zero error rate', { alarms: { apiErrorRatePercent: 0 } }, 'alarms.apiErrorRatePercent: must be above 0'],
    ['an error rate over 100%', { alarms: { apiErrorRatePercent: 101 } }, 'alarms.apiErrorRatePercent: must be at most 100'],
    ['a fractional latency', { alarms: { apiLatencyP99Ms: 99.5 } }, 'alarms.apiLatencyP99Ms: must be a whole number of milliseconds'],
    ['a latency beyond the integration timeout', { alarms: { apiLatencyP99Ms: 60_000 } }, 'alarms.apiLatencyP99Ms: must be at most 30000'],
    ['a zero error count', { alarms: { functionErrors: 0 } }, 'alarms.functionErrors: must be at least 1'],
    ['a stream lag in fractions of a minute', { alarms: { streamIteratorAgeMinutes: 0.5 } }, 'alarms.streamIteratorAgeMinutes: must be a whole number of minutes'],
    ['no stream lag at all', { alarms: { streamIteratorAgeMinutes: 0 } }, 'alarms.streamIteratorAgeMinutes: must be at least 1'],
    ['a stream lag close to the stream retention', { alarms: { streamIteratorAgeMinutes: 1440 } }, 'alarms.streamIteratorAgeMinutes: must be at most 720'],
    ['a misspelt alarm setting', { alarms: { apiErrorRate: 1 } }, 'alarms: Unrecognized key: "apiErrorRate"'],
    ['a dashboard given as a word', { dashboard: 'yes' }, 'dashboard: Invalid input: expected boolean'],
    ['a custom domain with a scheme', { customDomain: { domainName: 'https://crm.acme.example', certificateArn } }, 'customDomain.domainName: must be a lowercase domain name'],
    ['a custom domain in capitals', { customDomain: { domainName: 'CRM.acme.example', certificateArn } }, 'customDomain.domainName: must be a lowercase domain name'],
    ['a single-label custom domain', { customDomain: { domainName: 'crm', certificateArn } }, 'customDomain.domainName'],
    ['a custom domain without certificate', { customDomain: { domainName: 'crm.acme.example' } }, 'customDomain.certificateArn'],
    ['a certificate given by domain name', { customDomain: { domainName: 'crm.acme.example', certificateArn: 'crm.acme.example' } }, 'customDomain.certificateArn: must be an ACM certificate ARN'],
    ['an email section without a sender', { email: { fromName: 'Acme' } }, 'email.fromAddress: must be an email address'],
    ['a sender that is not an address', { email: { fromAddress: 'acme.example' } }, 'email.fromAddress: must be an email address'],
    ['a sender name with angle brackets', { email: { fromAddress: 'crm@acme.example', fromName: 'Acme <Sales>' } }, 'email.fromName: may not contain quotes'],
    ['a sender name with a line break', { email: { fromAddress: 'crm@acme.example', fromName: 'Acme\nBcc: x@evil.example' } }, 'email.fromName: may not contain'],
    ['a sender name over 100 characters', { email: { fromAddress: 'crm@acme.example', fromName: 'a'.repeat(101) } }, 'email.fromName: must be at most 100 characters'],
    ['an identity of another domain', { email: { fromAddress: 'crm@acme.example', identity: 'other.example' } }, 'email.identity: must be the domain of fromAddress (acme.example) or fromAddress itself'],
    ['the parent domain as identity', { email: { fromAddress: 'crm@mail.acme.example', identity: 'acme.example' } }, 'email.identity: must be the domain of fromAddress (mail.acme.example)'],
    ['another address as identity', { email: { fromAddress: 'crm@acme.example', identity: 'sales@acme.example' } }, 'email.identity: must be the domain of fromAddress'],
    ['an identity that is a URL', { email: { fromAddress: 'crm@acme.example', identity: 'https://acme.example' } }, 'email.identity: must be a lowercase domain such as acme.example, or an email address'],
    ['createIdentity given as a word', { email: { fromAddress: 'crm@acme.example', createIdentity: 'yes' } }, 'email.createIdentity: Invalid input: expected boolean'],
    ['a configuration set name with dots', { email: { fromAddress: 'crm@acme.example', configurationSetName: 'crm.prod' } }, 'email.configurationSetName: letters, digits, underscores and hyphens'],
    ['a misspelt email setting', { email: { from: 'crm@acme.example' } }, 'Unrecognized key: "from"'],
    ['a bounce rate alarm at 0%', { alarms: { emailBounceRatePercent: 0 } }, 'alarms.emailBounceRatePercent: must be above 0'],
    ['a complaint rate alarm over 100%', { alarms: { emailComplaintRatePercent: 150 } }, 'alarms.emailComplaintRatePercent: must be at most 100'],
    ['no failed execution at all', { alarms: { stateMachineFailedExecutions: 0 } }, 'alarms.stateMachineFailedExecutions: must be at least 1'],
    ['a fractional dead-letter count', { alarms: { eventRuleDeadLetters: 1.5 } }, 'alarms.eventRuleDeadLetters: must be a whole number'],
    ['no failed invocation at all', { alarms: { eventRuleFailedInvocations: 0 } }, 'alarms.eventRuleFailedInvocations: must be at least 1'],
  ])('refuses %s, naming the key', (_case, input, expected) => {
    const message = failure(() => parseStackConfig(input));
    expect(message).toMatch(/^Invalid stack configuration:\n {2}- /);
    expect(message).toContain(expected);
  });

  it('lists every problem at once', () => {
    const message = failure(() => parseStackConfig({ tableEncryption: 'none', logRetentionDays: 2 }));
    expect(message.split('\n')).toEqual([
      'Invalid stack configuration:',
      expect.stringContaining('tableEncryption'),
      expect.stringContaining('logRetentionDays'),
    ]);
  });
});

describe('loadStageConfig', () => {
  const stages = {
    dev: {},
    prod: { tableEncryption: 'customer-managed', logRetentionDays: 365 },
  };
  const load = (context: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
    loadStageConfig(new App({ context: { stages, ...context } }).node, env);

  it('deploys stage dev with the defaults when nothing is chosen', () => {
    expect(load({})).toEqual({ stage: 'dev', config: parseStackConfig({}) });
  });

  it('takes the stage from -c stage before CRM_STAGE, and its settings from cdk.json stages', () => {
    expect(load({}, { CRM_STAGE: 'prod' }).config.tableEncryption).toBe('customer-managed');
    expect(load({ stage: 'dev' }, { CRM_STAGE: 'prod' })).toMatchObject({ stage: 'dev', config: { tableEncryption: 'aws-owned' } });
    expect(load({ stage: 'prod' })).toMatchObject({ stage: 'prod', config: { logRetentionDays: 365 } });
  });

  it('lets a -c key=value replace a stage setting, parsing numbers and JSON', () => {
    const { config } = load({
      stage: 'prod',
      logRetentionDays: '90',
      tableEncryption: 'aws-owned',
      auth: '{"mode":"oidc","issuer":"https://login.acme.example","audience":["crm"]}',
      throttle: '{"burstLimit":10}',
      alarms: '{"email":"ops@acme.example"}',
      dashboard: 'false',
      email: '{"fromAddress":"crm@acme.example","createIdentity":false}',
    });
    expect(config).toMatchObject({
      logRetentionDays: 90,
      tableEncryption: 'aws-owned',
      auth: { mode: 'oidc', issuer: 'https://login.acme.example', audience: ['crm'] },
      throttle: { burstLimit: 10, rateLimit: 100 },
      alarms: { enabled: true, email: 'ops@acme.example', apiErrorRatePercent: 1 },
      dashboard: false,
      email: { fromAddress: 'crm@acme.example', createIdentity: false },
    });
  });

  it('reads the stages that cdk.json declares', () => {
    const app = testApp({ stage: 'prod' });
    expect(loadStageConfig(app.node, {}).config).toMatchObject({ tableEncryption: 'customer-managed' });
    expect(loadStageConfig(testApp().node, {}).stage).toBe('dev');
  });

  it('refuses a stage cdk.json does not declare, saying how to add it', () => {
    expect(failure(() => load({ stage: 'prd' }))).toBe(
      'Unknown stage "prd": cdk.json context.stages declares dev, prod. Add "stages": { "prd": {} } to deploy it with the defaults.',
    );
  });

  it('refuses a stage name that cannot name a stack', () => {
    expect(failure(() => load({ stage: 'Prod_1' }))).toMatch(/^Invalid stage "Prod_1": must be lowercase letters/);
  });

  it('says which stage and which -c flags a bad value came from', () => {
    expect(failure(() => load({ stage: 'prod', logRetentionDays: '42' }))).toBe(
      'Invalid configuration for stage "prod" (cdk.json context.stages.prod, with -c logRetentionDays):\n' +
        `  - logRetentionDays: must be one of ${[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653].join(', ')}`,
    );
    expect(failure(() => load({ stages: { dev: { tableEncryption: 'plain' } } }))).toMatch(
      /^Invalid configuration for stage "dev" \(cdk\.json context\.stages\.dev\):\n {2}- tableEncryption: /,
    );
  });

  it('refuses stage settings that are not an object', () => {
    expect(failure(() => load({ stages: { dev: 'cognito' } }))).toBe(
      'Invalid context "stages.dev": expected an object of settings.',
    );
  });
});

describe('default Cognito domain prefix', () => {
  it('refuses a stack name Cognito would reject as a domain prefix, naming auth.domainPrefix', () => {
    expect(failure(() => buildStack(testApp(), {}, 'crm-aws-test'))).toContain('auth.domainPrefix: the default "crm-aws-test-<account id>"');
    expect(() => buildStack(testApp(), { auth: { mode: 'cognito', domainPrefix: 'acme-crm' } }, 'crm-aws-test')).not.toThrow();
  });
});
