import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { crmTable } from '../../adapters/dynamodb/table-definition';
import { functionsTriggeredBy, isPublic, routeKeysOf, type TableAccess } from '../../functions/manifest';
import { CrmHttpApi } from '../../infra/constructs/http-api';
import { CrmStack } from '../../infra/crm-stack';
import { runStateMachines } from '../../infra/state-machines/runs';
import { parseStackConfig, type StackConfigInput } from '../../infra/stack-config';
import {
  allStatements,
  appContext,
  buildStack,
  functionIdWithPrefix,
  nestedStacksOf,
  resourcesOf,
  statementsForFunction,
  statementsForStateMachine,
  synthesize,
  testApp,
  withEmail,
  type Resource,
} from './stack-fixture';

// The manifest's functions by trigger, flattened the way these checks read them.
const definitions = functionsTriggeredBy('http').map(([name, declaration]) => [name, { ...declaration, routes: routeKeysOf(declaration), public: isPublic(declaration) }] as const);
const allRouteKeys = definitions.flatMap(([, definition]) => definition.routes);
const publicRouteKeys = definitions.flatMap(([, definition]) => (definition.public ? definition.routes : []));
const consumers = functionsTriggeredBy('stream').map(([name, declaration]) => [name, { ...declaration, ...declaration.trigger }] as const);
const tasks = functionsTriggeredBy('stateMachineTask');
const rules = functionsTriggeredBy('eventRule').map(([name, declaration]) => [name, { ...declaration, scope: declaration.trigger.scope }] as const);
const streamConsumerTableAccess: Record<string, TableAccess> = Object.fromEntries(consumers.map(([name, declaration]) => [name, declaration.tableAccess]));
/** The event rules a stack with this config deploys: those scoped to the email configuration set only with `email`. */
const rulesDeployedWith = (config: StackConfigInput) => rules.filter(([, definition]) => definition.scope !== 'emailConfigurationSet' || config.email !== undefined);
/** Every Lambda the stack deploys with email: API functions, stream consumers, state machine tasks, event rule functions. */
const schedules = functionsTriggeredBy('schedule');
const queueConsumers = functionsTriggeredBy('queue');
const functionCount = definitions.length + consumers.length + tasks.length + rules.length + schedules.length + queueConsumers.length;

/** What a stream consumer may do besides its logs, its share of the table, the stream and its queue. */
const consumerExtraActions: Record<string, string[]> = {
  recordSweeper: [],
  schemaFollowUp: [],
  sequenceStarter: ['states:StartExecution'],
  eventPublisher: ['events:PutEvents'],
  recordIndexer: [],
  reportKeeper: [],
};

const readActions = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:Query',
];
const writeActions = ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
const expectedActions: Record<TableAccess, string[]> = {
  none: [],
  suppressByLink: ['dynamodb:GetItem', 'dynamodb:PutItem'],
  read: readActions,
  readWrite: [...readActions, ...writeActions].sort(),
  // What finishing a deletion does: reads, puts and deletes (also in transactions); no UpdateItem, no DescribeTable.
  sweep: [
    'dynamodb:BatchGetItem',
    'dynamodb:BatchWriteItem',
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
  ],
};

/** Follows route → integration → function, keyed by route key. */
function functionIdByRouteKey(template: Template): Map<string, string> {
  const routes = template.findResources('AWS::ApiGatewayV2::Route');
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
  return new Map(
    Object.values(routes).map((route) => {
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      const functionId = integrations[integrationId]!.Properties.IntegrationUri['Fn::GetAtt'][0];
      return [route.Properties.RouteKey as string, functionId as string];
    }),
  );
}

/** The default stack, and one with email, where every function and event rule of the definitions is deployed. */
const stackConfigs: [string, StackConfigInput][] = [
  ['without email', {}],
  ['with email', withEmail],
];

describe.each(stackConfigs)('CrmStack %s', (_label, config) => {
  const template = synthesize(config);
  const deployedRules = rulesDeployedWith(config);
  /** Email-scoped rules, absent without `email`. */
  const absentRules = rules.filter((rule) => !deployedRules.includes(rule));
  const deployedFunctionCount = functionCount - absentRules.length;
  const resources: Record<string, Resource> = resourcesOf(template);
  const tableId = Object.keys(template.findResources('AWS::DynamoDB::GlobalTable'))[0]!;
  const routeTargets = functionIdByRouteKey(template);

  /** The logical id of the one function every route of `definition` goes to. */
  function functionIdFor(definition: { readonly entry: string; readonly routes: readonly string[] }): string {
    const functionIds = [...new Set(definition.routes.map((routeKey) => routeTargets.get(routeKey)))];
    expect(functionIds, `functions behind ${definition.entry}`).toEqual([expect.any(String)]);
    return functionIds[0]!;
  }

  /** The logical id of the function the table's stream feeds for consumer `name` (construct `<name>Consumer`). */
  function consumerFunctionId(name: string): string {
    return functionIdWithPrefix(template, `${name}Consumer`);
  }

  const allFunctionIds = () => [
    ...definitions.map(([, definition]) => functionIdFor(definition)),
    ...consumers.map(([name]) => consumerFunctionId(name)),
    ...tasks.map(([name]) => functionIdWithPrefix(template, `${name}Task`)),
    ...deployedRules.map(([name]) => functionIdWithPrefix(template, `${name}Rule`)),
    ...schedules.map(([name]) => functionIdWithPrefix(template, `${name}Schedule`)),
    ...queueConsumers.map(([name]) => functionIdWithPrefix(template, `${name}Queue`)),
  ];

  describe('table', () => {
    it('is the only table, keyed and indexed exactly as crmTable describes', () => {
      const stringAttributes = [
        crmTable.partitionKey,
        crmTable.sortKey,
        ...crmTable.globalIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
      ];

      template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      template.resourceCountIs('AWS::DynamoDB::Table', 0);
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: crmTable.partitionKey, KeyType: 'HASH' },
          { AttributeName: crmTable.sortKey, KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith(
          stringAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        ),
        GlobalSecondaryIndexes: crmTable.globalIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      });
      const attributes = template.findResources('AWS::DynamoDB::GlobalTable')[tableId]!.Properties.AttributeDefinitions;
      expect(attributes).toHaveLength(stringAttributes.length);
    });

    it('bills on demand, streams both images and expires items on the TTL attribute', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    });

    it('has point-in-time recovery and deletion protection, and is retained when the stack goes', () => {
      template.hasResource('AWS::DynamoDB::GlobalTable', {
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: Match.objectLike({
          Replicas: [
            Match.objectLike({
              PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
              DeletionProtectionEnabled: true,
            }),
          ],
        }),
      });
    });
  });

  describe('functions', () => {
    it('has one Lambda per entry of the function manifest (email-scoped rules only with email), and no other', () => {
      template.resourceCountIs('AWS::Lambda::Function', deployedFunctionCount);
      expect(new Set(allFunctionIds()).size).toBe(deployedFunctionCount);
      template.resourceCountIs('AWS::Events::Rule', deployedRules.length);
      for (const [name] of absentRules) {
        expect(Object.keys(resources).filter((id) => id.startsWith(`${name}Rule`)), `resources of event rule ${name}`).toEqual([]);
      }
    });

    it('runs every function on Node 24, arm64, with the table name and an explicit log group', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function'));
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          Environment: {
            Variables: {
              TABLE_NAME: { Ref: tableId },
              POWERTOOLS_SERVICE_NAME: 'crm',
              POWERTOOLS_LOG_LEVEL: 'INFO',
              NODE_OPTIONS: '--enable-source-maps',
            },
          },
          LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        });
      }
    });

    it('tells the API functions, and only them, which claim holds the roles', () => {
      for (const [, definition] of definitions) {
        expect(resources[functionIdFor(definition)]!.Properties!.Environment.Variables.AUTH_ROLE_CLAIM).toBe('cognito:groups');
      }
      const otherFunctionIds = allFunctionIds().slice(definitions.length);
      expect(otherFunctionIds).toHaveLength(deployedFunctionCount - definitions.length);
      for (const functionId of otherFunctionIds) {
        expect(resources[functionId]!.Properties!.Environment.Variables).not.toHaveProperty('AUTH_ROLE_CLAIM');
      }
    });

    it.each(tasks)('sizes state machine task %s from its definition', (name, definition) => {
      const fn = resources[functionIdWithPrefix(template, `${name}Task`)]!.Properties;
      expect(fn?.MemorySize).toBe(definition.memoryMb);
      expect(fn?.Timeout).toBe(definition.timeoutSeconds);
    });

    it.each(deployedRules)('sizes event rule function %s from its definition', (name, definition) => {
      const fn = resources[functionIdWithPrefix(template, `${name}Rule`)]!.Properties;
      expect(fn?.MemorySize).toBe(definition.memoryMb);
      expect(fn?.Timeout).toBe(definition.timeoutSeconds);
    });

    it.each(definitions)('sizes %s from its definition', (_name, definition) => {
      const fn = resources[functionIdFor(definition)]!.Properties;
      expect(fn?.MemorySize).toBe(definition.memoryMb);
      expect(fn?.Timeout).toBe(definition.timeoutSeconds);
    });

    it.each(consumers)('sizes stream consumer %s from its definition', (name, definition) => {
      const fn = resources[consumerFunctionId(name)]!.Properties;
      expect(fn?.MemorySize).toBe(definition.memoryMb);
      expect(fn?.Timeout).toBe(definition.timeoutSeconds);
    });

    it.each(queueConsumers)('sizes queue function %s from its definition', (name, definition) => {
      const fn = resources[functionIdWithPrefix(template, `${name}Queue`)]!.Properties;
      expect(fn?.MemorySize).toBe(definition.memoryMb);
      expect(fn?.Timeout).toBe(definition.timeoutSeconds);
    });

    it('keeps function, access and state machine logs for a month unless logRetentionDays says otherwise', () => {
      const retentions = (t: Template) =>
        Object.values(t.findResources('AWS::Logs::LogGroup')).map((logGroup) => logGroup.Properties.RetentionInDays);

      // One per function, the API access log and each state machine's log.
      const logGroups = deployedFunctionCount + 1 + Object.keys(runStateMachines).length;
      expect(retentions(template)).toEqual(Array(logGroups).fill(30));
      expect(retentions(synthesize({ ...config, logRetentionDays: RetentionDays.ONE_YEAR }))).toEqual(Array(logGroups).fill(365));
    });

    it('gives each function its own role, writing only to its own log group, with no managed policy', () => {
      const roleIds = allFunctionIds().map((functionId) => resources[functionId]!.Properties!.Role['Fn::GetAtt'][0]);
      expect(new Set(roleIds).size).toBe(roleIds.length);
      for (const functionId of allFunctionIds()) {
        const roleId = resources[functionId]!.Properties!.Role['Fn::GetAtt'][0];
        const logGroupId = resources[functionId]!.Properties!.LoggingConfig.LogGroup.Ref;

        expect(resources[roleId]!.Properties!.ManagedPolicyArns).toBeUndefined();
        expect(statementsForFunction(template, functionId).filter((s) => s.actions.some((a) => a.startsWith('logs:')))).toEqual([
          expect.objectContaining({
            actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            resources: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }],
          }),
        ]);
      }
    });
  });

  describe('table permissions', () => {
    function expectExactlyTableAccess(functionId: string, access: TableAccess) {
      const statements = statementsForFunction(template, functionId);
      const dynamoStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')));
      const granted = dynamoStatements.flatMap((s) => s.actions).sort();

      expect(granted).toEqual(expectedActions[access]);
      if (access === 'suppressByLink') {
        // The public unsubscribe function: items of its three partitions only, no index.
        expect(dynamoStatements).toHaveLength(1);
        expect(dynamoStatements[0]!.resources).toEqual([{ 'Fn::GetAtt': [tableId, 'Arn'] }]);
        expect((dynamoStatements[0] as Record<string, unknown>).Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['SECRET#UNSUBSCRIBE', 'EMAIL#*', 'SUPPRESSION#*'] } });
        return;
      }
      for (const statement of dynamoStatements) {
        expect(statement.resources).toEqual([
          { 'Fn::GetAtt': [tableId, 'Arn'] },
          ...crmTable.globalIndexes.map((index) => ({
            'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${index.indexName}`]],
          })),
        ]);
      }
    }

    it.each(definitions)('grants %s exactly its tableAccess', (_name, definition) => {
      expectExactlyTableAccess(functionIdFor(definition), definition.tableAccess);
    });

    it.each(tasks)('grants state machine task %s exactly its tableAccess', (name, definition) => {
      expectExactlyTableAccess(functionIdWithPrefix(template, `${name}Task`), definition.tableAccess);
    });

    it.each(deployedRules)('grants event rule function %s exactly its tableAccess', (name, definition) => {
      expectExactlyTableAccess(functionIdWithPrefix(template, `${name}Rule`), definition.tableAccess);
    });

    it.each(schedules)('grants scheduled function %s exactly its tableAccess', (name, definition) => {
      expectExactlyTableAccess(functionIdWithPrefix(template, `${name}Schedule`), definition.tableAccess);
    });

    it.each(queueConsumers)('grants queue function %s exactly its tableAccess', (name, definition) => {
      expectExactlyTableAccess(functionIdWithPrefix(template, `${name}Queue`), definition.tableAccess);
    });

    it('allows no Scan and no wildcard action anywhere', () => {
      const actions = allStatements(template).flatMap((s) => s.actions);
      expect(actions.length).toBeGreaterThan(0);
      expect(actions.filter((action) => action === 'dynamodb:Scan' || action.includes('*'))).toEqual([]);
    });

    it('grants nothing on every resource ("*") anywhere but the log delivery the state machines need', () => {
      const onEverything = allStatements(template).filter((s) =>
        s.resources.some((resource: unknown) => typeof resource === 'string' && resource.includes('*')),
      );
      // CloudWatch Logs authorizes these only on "*"; they set up where logs go and read no log data.
      const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
      expect(onEverything).toEqual(
        machines.map(() =>
        expect.objectContaining({
          actions: [
            'logs:CreateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:DescribeLogGroups',
            'logs:DescribeResourcePolicies',
            'logs:GetLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:UpdateLogDelivery',
          ],
          resources: ['*'],
        }),
        ),
      );
      for (const machine of machines) expect(statementsForStateMachine(template, machine.Properties.RoleArn['Fn::GetAtt'][0])).toContainEqual(onEverything[0]);
    });
  });

  describe.each(consumers)('stream consumer %s', (name, definition) => {
    const functionId = consumerFunctionId(name);
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    const queueIds = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith(`${name}Consumer`));
    const queueArn = { 'Fn::GetAtt': [queueIds[0], 'Arn'] };
    const streamArn = { 'Fn::GetAtt': [tableId, 'StreamArn'] };

    it('is fed by the table stream from its oldest record, filtered by its pattern, with retries, bisection and per-record failures', () => {
      const own = mappings.filter((mapping) => mapping.Properties.FunctionName.Ref === functionId);
      expect(own).toHaveLength(1);
      expect(own[0]!.Properties).toEqual({
        FunctionName: { Ref: functionId },
        EventSourceArn: streamArn,
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: definition.batchSize,
        MaximumRetryAttempts: definition.maxRetries,
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        FilterCriteria: { Filters: definition.filterPatterns.map((pattern) => ({ Pattern: JSON.stringify(pattern) })) },
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
    });

    it('gives up into its own dead-letter queue: SQS-managed encryption, HTTPS only, messages kept 14 days', () => {
      expect(queueIds).toHaveLength(1);
      expect(resources[queueIds[0]!]!.Properties).toEqual({ MessageRetentionPeriod: 14 * 24 * 3600, SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: queueIds[0] }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Resource: queueArn }),
          ]),
        },
      });
    });

    it(`may do on the table and its indexes exactly what "${streamConsumerTableAccess[name]}" allows, read only the table's stream and send only to its queue`, () => {
      const statements = statementsForFunction(template, functionId);
      const onStream = (s: { resources: unknown[] }) => JSON.stringify(s.resources) === JSON.stringify([streamArn]);
      const itemStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('dynamodb:')) && !onStream(s));
      const streamStatements = statements.filter(onStream);
      const queueStatements = statements.filter((s) => s.actions.some((a) => a.startsWith('sqs:')));

      expect(itemStatements.flatMap((s) => s.actions).sort()).toEqual(expectedActions[streamConsumerTableAccess[name]!]);
      for (const statement of itemStatements) {
        expect(statement.resources).toEqual([
          { 'Fn::GetAtt': [tableId, 'Arn'] },
          ...crmTable.globalIndexes.map((index) => ({
            'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, `/index/${index.indexName}`]],
          })),
        ]);
      }
      expect(streamStatements.flatMap((s) => s.actions).sort()).toEqual([
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
      ]);
      expect(queueStatements).toEqual([
        expect.objectContaining({ actions: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], resources: [queueArn] }),
      ]);
      const extraStatements = statements.filter((s) => s.actions.some((a) => consumerExtraActions[name]!.includes(a)));
      expect(extraStatements.flatMap((s) => s.actions).sort()).toEqual(consumerExtraActions[name]);
      // Logs, the table, the stream, the queue and its extra grants: nothing else.
      expect(statements).toHaveLength(1 + itemStatements.length + streamStatements.length + queueStatements.length + extraStatements.length);
      expect(statements.flatMap((s) => s.actions)).not.toContain('dynamodb:Scan');
    });
  });

  describe('HTTP API', () => {
    it('has exactly one route per route key, and no other', () => {
      const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
        (route) => route.Properties.RouteKey,
      );
      expect(routeKeys.sort()).toEqual([...allRouteKeys].sort());
    });

    it('sends each function its own routes and nobody else’s', () => {
      const functionIds = definitions.map(([, definition]) => functionIdFor(definition));
      expect(new Set(functionIds).size).toBe(definitions.length);
    });

    it('integrates Lambdas with payload format 2.0', () => {
      const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));
      expect(integrations).toHaveLength(definitions.length);
      for (const integration of integrations) {
        expect(integration.Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0' });
      }
    });

    it('requires a JWT on every route except the public ones', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      const authorizerId = Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer'))[0];
      expect(publicRouteKeys).toEqual(['GET /unsubscribe', 'POST /unsubscribe', 'GET /health', 'GET /openapi.json', 'GET /docs', 'GET /docs/{asset}', 'GET /dashboard', 'GET /dashboard/{asset}']);

      for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
        const { RouteKey, AuthorizationType, AuthorizerId } = route.Properties;
        if (publicRouteKeys.includes(RouteKey)) {
          expect({ RouteKey, AuthorizationType, AuthorizerId }).toEqual({ RouteKey, AuthorizationType: 'NONE' });
        } else {
          expect({ RouteKey, AuthorizationType, AuthorizerId }).toEqual({
            RouteKey,
            AuthorizationType: 'JWT',
            AuthorizerId: { Ref: authorizerId },
          });
        }
      }
    });

    it('has no CORS configuration', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
        ProtocolType: 'HTTP',
        CorsConfiguration: Match.absent(),
      });
    });

    it('auto-deploys a single $default stage with access logs in JSON', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0]!.Properties;

      expect(stage.StageName).toBe('$default');
      expect(stage.AutoDeploy).toBe(true);
      expect(stage.AccessLogSettings.DestinationArn).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Arn'] });
      expect(JSON.parse(stage.AccessLogSettings.Format)).toEqual({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        requestTime: '$context.requestTime',
        httpMethod: '$context.httpMethod',
        routeKey: '$context.routeKey',
        status: '$context.status',
        protocol: '$context.protocol',
        responseLength: '$context.responseLength',
        integrationError: '$context.integrationErrorMessage',
        latency: '$context.responseLatency',
      });
    });

    it('throttles the default stage at burst 200, rate 100 unless told otherwise', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingBurstLimit: 200, ThrottlingRateLimit: 100 },
      });

      synthesize({ ...config, throttle: { burstLimit: 20 } }).hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        DefaultRouteSettings: { ThrottlingBurstLimit: 20, ThrottlingRateLimit: 100 },
      });
    });
  });

  it('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', { Value: { Ref: tableId } });
  });
});

describe('CrmStack templates', () => {
  // Everything optional deployed: email with receiving, Cognito with a machine client, a custom domain.
  const everything: StackConfigInput = {
    email: { fromAddress: 'crm@acme.example', inbound: { domain: 'inbound.acme.example' } },
    auth: { mode: 'cognito', machineClients: [{ name: 'etl', scopes: ['crm/read'] }] },
    customDomain: { domainName: 'crm.acme.example', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab' },
    alarms: { email: 'ops@acme.example' },
  };

  it("keep each of CloudFormation's templates under its 500 resources and 200 parameters, alarms and dashboard in a nested stack of their own", () => {
    const stack = buildStack(testApp(), everything);
    const sizes = [stack, ...nestedStacksOf(stack)].map((each) => {
      const json = Template.fromStack(each).toJSON();
      return { stack: each.node.path, resources: Object.keys(json.Resources).length, parameters: Object.keys(json.Parameters ?? {}).length };
    });
    expect(sizes.map(({ stack: path }) => path)).toEqual(['crm-test', 'crm-test/Observability']);
    for (const size of sizes) {
      expect(size.resources, JSON.stringify(size)).toBeLessThan(500);
      expect(size.parameters, JSON.stringify(size)).toBeLessThan(200);
    }
    const nested = Template.fromStack(nestedStacksOf(stack)[0]!);
    expect(Object.keys(nested.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(0);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))).toEqual([]);
  });

  it('have no nested stack without alarms and dashboard, as CloudFormation refuses a template with no resources', () => {
    const stack = buildStack(testApp(), { alarms: { enabled: false }, dashboard: false });
    expect(nestedStacksOf(stack)).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::CloudFormation::Stack', 0);
  });
});

describe('CrmStack table encryption', () => {
  const tableOf = (template: Template) => Object.values(template.findResources('AWS::DynamoDB::GlobalTable'))[0]!;
  const kmsStatements = (template: Template) => allStatements(template).filter((s) => s.actions.some((action: string) => action.startsWith('kms:')));
  // Tasks, event rule, scheduled and queue functions always read the table ('read' or 'readWrite').
  // With email, so that every event rule (the email-scoped ones too) has its function.
  const tableReaders =
    definitions.filter(([, definition]) => definition.tableAccess !== 'none').length +
    consumers.filter(([name]) => streamConsumerTableAccess[name] !== 'none').length +
    tasks.length +
    queueConsumers.length +
    rules.length +
    schedules.length;

  it('uses the DynamoDB-owned key by default, with no KMS key and no KMS permission', () => {
    const template = synthesize();

    expect(tableOf(template).Properties.SSESpecification).toEqual({ SSEEnabled: false });
    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(kmsStatements(template)).toEqual([]);
  });

  it('creates a retained, yearly rotated KMS key for customer-managed, and lets every table user decrypt with it', () => {
    const template = synthesize({ ...withEmail, tableEncryption: 'customer-managed' });
    const keyId = Object.keys(template.findResources('AWS::KMS::Key'))[0]!;

    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
    expect(tableOf(template).Properties).toMatchObject({
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      Replicas: [expect.objectContaining({ SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } })],
    });
    const statements = kmsStatements(template);
    expect(statements).toHaveLength(tableReaders);
    for (const statement of statements) {
      expect(statement).toMatchObject({ actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [{ 'Fn::GetAtt': [keyId, 'Arn'] }] });
    }
  });

  it('encrypts with an existing key when tableKmsKeyArn is given', () => {
    const keyArn = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const template = synthesize({ ...withEmail, tableEncryption: 'customer-managed', tableKmsKeyArn: keyArn });

    template.resourceCountIs('AWS::KMS::Key', 0);
    expect(tableOf(template).Properties.Replicas[0].SSESpecification).toEqual({ KMSMasterKeyId: keyArn });
    expect(kmsStatements(template).map((s) => s.resources)).toEqual(Array(tableReaders).fill([keyArn]));
  });

  it('pre-warms the table and every index when tableWarmThroughput says so, and tells the import step how hard to write', () => {
    expect(tableOf(synthesize()).Properties.WarmThroughput).toBeUndefined();
    const warm = { writeUnitsPerSecond: 40_000, readUnitsPerSecond: 12_000 };
    const template = synthesize({ tableWarmThroughput: warm, imports: { concurrentRanges: 10, parallelBatches: 8 } });
    const table = tableOf(template).Properties;
    expect(table.WarmThroughput).toEqual({ WriteUnitsPerSecond: 40_000, ReadUnitsPerSecond: 12_000 });
    expect(table.GlobalSecondaryIndexes.length).toBeGreaterThan(0);
    for (const index of table.GlobalSecondaryIndexes) expect(index.WarmThroughput, index.IndexName).toEqual(table.WarmThroughput);
    const importStep = template.toJSON().Resources[functionIdWithPrefix(template, 'importStepTask')].Properties.Environment.Variables;
    expect(importStep).toMatchObject({ IMPORT_CONCURRENT_RANGES: '10', IMPORT_PARALLEL_BATCHES: '8' });
    const imports = template.toJSON().Resources[functionIdWithPrefix(template, 'importsFunction')].Properties.Environment.Variables;
    expect(imports).not.toHaveProperty('IMPORT_CONCURRENT_RANGES');
  });

  it('keeps the table retained in every encryption mode', () => {
    for (const template of [synthesize(), synthesize({ tableEncryption: 'customer-managed' })]) {
      expect(tableOf(template).DeletionPolicy).toBe('Retain');
    }
  });
});

describe('CrmHttpApi', () => {
  /** A bare stack with one inline function and the API construct under test. */
  function apiWithHandler(authorizer?: HttpJwtAuthorizer) {
    const stack = new Stack();
    const handler = new LambdaFunction(stack, 'Handler', {
      runtime: Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: Code.fromInline('export const handler = async () => ({ statusCode: 200 });'),
    });
    const api = new CrmHttpApi(stack, 'HttpApi', {
      apiName: 'crm-test',
      throttle: { burstLimit: 1, rateLimit: 1 },
      accessLogRetention: RetentionDays.ONE_DAY,
      ...(authorizer ? { authorizer } : {}),
    });
    return { stack, handler, api };
  }

  it('guards non-public routes with the authorizer it is given, and leaves public ones open', () => {
    const { stack, handler, api } = apiWithHandler(new HttpJwtAuthorizer('Jwt', 'https://issuer.example.com', { jwtAudience: ['crm'] }));

    api.addLambdaRoutes('private', handler, { routeKeys: ['GET /v1/contacts'], public: false });
    api.addLambdaRoutes('public', handler, { routeKeys: ['GET /health'], public: true });

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/contacts', AuthorizationType: 'JWT' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /health', AuthorizationType: 'NONE' });
  });

  it('rejects a malformed route key', () => {
    const { handler, api } = apiWithHandler();
    expect(() => api.addLambdaRoutes('bad', handler, { routeKeys: ['FETCH /v1/contacts'], public: false })).toThrow(/Invalid route key/);
  });
});

describe('bundling', () => {
  it('builds every handler into an ESM bundle that loads on Node and exports `handler`', { timeout: 300_000 }, () => {
    // The CLI sets asset metadata too; it records where each function's bundle went.
    const app = new App({ context: { ...appContext(), 'aws:cdk:enable-asset-metadata': true } });
    // With email, so that every handler (the email-scoped event rules' too) is deployed.
    const stack = new CrmStack(app, 'crm-bundled', { stage: 'test', config: parseStackConfig(withEmail) });
    const assembly = app.synth();

    const functions = Template.fromJSON(assembly.getStackByName(stack.stackName).template).findResources(
      'AWS::Lambda::Function',
    );
    const bundles = Object.values(functions).map((fn) =>
      path.join(assembly.directory, fn.Metadata['aws:asset:path'], 'index.mjs'),
    );

    expect(bundles).toHaveLength(functionCount);
    for (const bundle of bundles) {
      expect(existsSync(`${bundle}.map`), `${bundle}.map`).toBe(true);
      const opening = readFileSync(bundle, 'utf8').slice(0, 200);
      expect(opening, 'banner giving CommonJS dependencies a `require`').toContain('createRequire(import.meta.url)');

      const load = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '--eval',
          `const bundle = await import(${JSON.stringify(pathToFileURL(bundle).href)});
           if (typeof bundle.handler !== 'function') throw new Error('no handler export');`,
        ],
        { env: { ...process.env, TABLE_NAME: 'crm-test', AWS_REGION: 'us-east-1' }, encoding: 'utf8' },
      );
      expect(load.status, `${bundle}: ${load.stderr}`).toBe(0);
    }

    // Step Functions retries a sequence step on the error's name, which must survive minifying.
    const [stepBundle] = Object.entries(functions)
      .filter(([id]) => id.startsWith('sequenceStepTask'))
      .map(([, fn]) => path.join(assembly.directory, fn.Metadata['aws:asset:path'], 'index.mjs'));
    expect(readFileSync(stepBundle!, 'utf8')).toContain('"ServiceUnavailableError"');
  });
});
