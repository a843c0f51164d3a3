import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionsTriggeredBy, isPublic, routeKeysOf } from '../../functions/manifest';
import { synthesize } from './stack-fixture';

const httpFunctions = functionsTriggeredBy('http');
const publicRouteKeys = httpFunctions.flatMap(([, declaration]) => (isPublic(declaration) ? routeKeysOf(declaration) : []));

const idOf = (template: Template, type: string, properties: Record<string, unknown> = {}) => {
  const ids = Object.keys(template.findResources(type, { Properties: Match.objectLike(properties) }));
  expect(ids, `${type} matching ${JSON.stringify(properties)}`).toHaveLength(1);
  return ids[0]!;
};

function expectRoutesGuardedBy(template: Template, authorizerId: string) {
  const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => route.Properties);
  expect(routes.filter((route) => route.AuthorizationType === 'NONE').map((route) => route.RouteKey).sort()).toEqual(
    [...publicRouteKeys].sort(),
  );
  for (const route of routes.filter((route) => !publicRouteKeys.includes(route.RouteKey))) {
    expect(route).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
  }
}

/** AUTH_ROLE_CLAIM of every function behind the HTTP API (stream consumers read no tokens). */
function roleClaimsOf(template: Template): string[] {
  const functions = template.findResources('AWS::Lambda::Function');
  const apiFunctionIds = new Set(
    Object.values(template.findResources('AWS::ApiGatewayV2::Integration')).map(
      (integration) => integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string,
    ),
  );
  expect(apiFunctionIds.size).toBe(httpFunctions.length);
  return [...apiFunctionIds].map((id) => functions[id]!.Properties.Environment.Variables.AUTH_ROLE_CLAIM);
}

describe('auth mode cognito', () => {
  const template = synthesize({
    auth: {
      mode: 'cognito',
      machineClients: [
        { name: 'etl', scopes: ['crm/read'] },
        { name: 'billing-sync', scopes: ['crm/read', 'crm/write'] },
      ],
    },
  });
  const poolId = idOf(template, 'AWS::Cognito::UserPool');
  const resourceServerId = idOf(template, 'AWS::Cognito::UserPoolResourceServer');
  const userClientId = idOf(template, 'AWS::Cognito::UserPoolClient', { ClientName: 'crm-test-users' });
  const etlClientId = idOf(template, 'AWS::Cognito::UserPoolClient', { ClientName: 'crm-test-etl' });
  const syncClientId = idOf(template, 'AWS::Cognito::UserPoolClient', { ClientName: 'crm-test-billing-sync' });
  const scopeName = (scope: string) => ({ 'Fn::Join': ['', [{ Ref: resourceServerId }, `/${scope}`]] });

  it('creates one user pool, invite-only, with a strong password policy, optional TOTP MFA and threat protection', () => {
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UsernameAttributes: ['email'],
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 3,
        },
      },
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  it('keeps the pool when the stack goes, and protects it from deletion', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
  });

  it('has one group per role, admin taking precedence', () => {
    const groups = Object.values(template.findResources('AWS::Cognito::UserPoolGroup')).map((group) => group.Properties);
    expect(groups.map(({ GroupName, Precedence, UserPoolId }) => ({ GroupName, Precedence, UserPoolId }))).toEqual(
      expect.arrayContaining([
        { GroupName: 'admin', Precedence: 0, UserPoolId: { Ref: poolId } },
        { GroupName: 'manager', Precedence: 1, UserPoolId: { Ref: poolId } },
        { GroupName: 'member', Precedence: 2, UserPoolId: { Ref: poolId } },
        { GroupName: 'viewer', Precedence: 3, UserPoolId: { Ref: poolId } },
      ]),
    );
    expect(groups).toHaveLength(4);
  });

  it('has a resource server `crm` whose scopes read, write and admin appear as crm/read etc.', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'crm',
      UserPoolId: { Ref: poolId },
      Scopes: [
        Match.objectLike({ ScopeName: 'read' }),
        Match.objectLike({ ScopeName: 'write' }),
        Match.objectLike({ ScopeName: 'admin' }),
      ],
    });
  });

  it('has a hosted UI domain named after the stack and account unless a prefix is configured', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: { 'Fn::Join': ['', ['crm-test-', { Ref: 'AWS::AccountId' }]] },
      UserPoolId: { Ref: poolId },
    });
    synthesize({ auth: { mode: 'cognito', domainPrefix: 'acme-crm' } }).hasResourceProperties(
      'AWS::Cognito::UserPoolDomain',
      { Domain: 'acme-crm' },
    );
  });

  it('gives people a public client: authorization code only, no secret, no password flows, no CRM scopes', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'crm-test-users',
      GenerateSecret: false,
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['http://localhost:3000/callback'],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
      PreventUserExistenceErrors: 'ENABLED',
    });
    synthesize({ auth: { mode: 'cognito', callbackUrls: ['https://crm.acme.example/callback'] } }).hasResourceProperties(
      'AWS::Cognito::UserPoolClient',
      { CallbackURLs: ['https://crm.acme.example/callback'] },
    );
  });

  it('gives each machine client a secret, the client-credentials flow and exactly its scopes', () => {
    const clients = template.findResources('AWS::Cognito::UserPoolClient');
    expect(clients[etlClientId]!.Properties).toMatchObject({
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: [scopeName('read')],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
    });
    expect(clients[syncClientId]!.Properties).toMatchObject({
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthScopes: [scopeName('read'), scopeName('write')],
    });
    expect(Object.keys(clients)).toHaveLength(3);
  });

  it('verifies JWTs issued by the pool to any of its clients', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: {
          'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: poolId }]],
        },
        Audience: [{ Ref: userClientId }, { Ref: etlClientId }, { Ref: syncClientId }],
      },
    });
  });

  it('guards every route but the public ones with that authorizer', () => {
    expectRoutesGuardedBy(template, idOf(template, 'AWS::ApiGatewayV2::Authorizer'));
  });

  it('tells every API function to read roles from cognito:groups', () => {
    expect(new Set(roleClaimsOf(template))).toEqual(new Set(['cognito:groups']));
  });

  it('outputs the pool, the user client, the token endpoint and the issuer', () => {
    template.hasOutput('UserPoolId', { Value: { Ref: poolId } });
    template.hasOutput('UserPoolClientId', { Value: { Ref: userClientId } });
    template.hasOutput('TokenEndpoint', {
      Value: {
        'Fn::Join': [
          '',
          ['https://', { Ref: idOf(template, 'AWS::Cognito::UserPoolDomain') }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com/oauth2/token'],
        ],
      },
    });
    template.hasOutput('Issuer', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });

  it('tells the function serving /dashboard where users sign in (the hosted UI and the user client), and no other function', () => {
    const withSignIn = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) => fn.Properties.Environment?.Variables?.SIGN_IN_CLIENT_ID);
    expect(withSignIn).toHaveLength(1);
    expect(withSignIn[0]!.Properties.Environment.Variables).toMatchObject({
      SIGN_IN_CLIENT_ID: { Ref: userClientId },
      SIGN_IN_URL: { 'Fn::Join': ['', ['https://', { Ref: idOf(template, 'AWS::Cognito::UserPoolDomain') }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com']] },
    });
  });

  it('requires MFA when auth.mfa is required', () => {
    synthesize({ auth: { mode: 'cognito', mfa: 'required' } }).hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
  });

  it('audits risks only, or stays on the Essentials plan, as auth.threatProtection says', () => {
    synthesize({ auth: { mode: 'cognito', threatProtection: 'audit' } }).hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'AUDIT' },
    });
    synthesize({ auth: { mode: 'cognito', threatProtection: 'off' } }).hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'ESSENTIALS',
      UserPoolAddOns: Match.absent(),
    });
  });
});

describe('auth mode oidc', () => {
  const template = synthesize({
    auth: { mode: 'oidc', issuer: 'https://login.acme.example/', audience: ['crm-api', 'crm-etl'], roleClaim: 'crm_roles' },
  });

  it('creates no Cognito resources', () => {
    const cognito = Object.values(template.toJSON().Resources as Record<string, { Type: string }>).filter((resource) =>
      resource.Type.startsWith('AWS::Cognito::'),
    );
    expect(cognito).toEqual([]);
  });

  it('verifies JWTs of the configured issuer and audience', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: 'https://login.acme.example/', Audience: ['crm-api', 'crm-etl'] },
    });
    expectRoutesGuardedBy(template, idOf(template, 'AWS::ApiGatewayV2::Authorizer'));
  });

  it('tells every API function the configured role claim, cognito:groups when none is', () => {
    expect(new Set(roleClaimsOf(template))).toEqual(new Set(['crm_roles']));
    const withDefault = synthesize({ auth: { mode: 'oidc', issuer: 'https://login.acme.example/', audience: ['crm-api'] } });
    expect(new Set(roleClaimsOf(withDefault))).toEqual(new Set(['cognito:groups']));
  });

  it('gives the dashboard no sign-in of its own (it takes a token in its address)', () => {
    const withSignIn = Object.values(template.findResources('AWS::Lambda::Function')).filter((fn) => fn.Properties.Environment?.Variables?.SIGN_IN_URL);
    expect(withSignIn).toEqual([]);
  });

  it('outputs the issuer and nothing about Cognito', () => {
    template.hasOutput('Issuer', { Value: 'https://login.acme.example/' });
    expect(Object.keys(template.toJSON().Outputs).sort()).toEqual([
      'AlarmTopicArn',
      'ApiUrl',
      'DashboardName',
      'EventBusArn',
      'EventBusName',
      'EventSchemaRegistryName',
      'ExportBucketName',
      'ExportStateMachineArn',
      'ImportStateMachineArn',
      'Issuer',
      'ReportRebuildStateMachineArn',
      'SequenceStateMachineArn',
      'TableName',
      'WorkflowStateMachineArn',
    ]);
  });
});
