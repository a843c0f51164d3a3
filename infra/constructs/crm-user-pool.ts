import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClientIdentityProvider,
  type AuthFlow,
  type UserPoolClient,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { roles, type Role } from '../../domain/shared/actor';
import { reservedInDomainPrefix, StackConfigError, type CognitoAuthConfig, type CrmScope } from '../stack-config';

const roleDescriptions: Record<Role, string> = {
  admin: 'Everything, including pipelines, custom properties and the audit log',
  manager: 'Reads and changes every record',
  member: 'Reads every record; creates records and changes the ones it owns',
  viewer: 'Reads every record',
};

/** Scopes of the `crm` resource server; tokens carry them as crm/read, crm/write, crm/admin. */
const crmResourceServerScopes: Record<CrmScope, ResourceServerScope> = {
  'crm/read': new ResourceServerScope({ scopeName: 'read', scopeDescription: 'Read records (as role viewer)' }),
  'crm/write': new ResourceServerScope({ scopeName: 'write', scopeDescription: 'Create and change records (as role manager)' }),
  'crm/admin': new ResourceServerScope({
    scopeName: 'admin',
    scopeDescription: 'Everything, including pipelines and custom properties (as role admin)',
  }),
};

/**
 * Any AuthFlow object makes CDK allow only ALLOW_REFRESH_TOKEN_AUTH (plus the flows set
 * to true), so no client can sign a user in with a password through the API: users sign
 * in through the hosted UI, where MFA and threat protection apply, and machine clients
 * use client credentials at the token endpoint.
 */
const refreshTokenOnly: AuthFlow = { userSrp: false };

const threatProtectionModes = {
  enforced: StandardThreatProtectionMode.FULL_FUNCTION,
  audit: StandardThreatProtectionMode.AUDIT_ONLY,
} as const;

export interface CrmUserPoolProps {
  readonly config: CognitoAuthConfig;
}

/**
 * The CRM's own identity provider: users in one group per role, a `crm` resource
 * server whose scopes machine clients are granted, the hosted UI domain, one public
 * client for people and one confidential client per configured machine client.
 */
export class CrmUserPool extends Construct {
  readonly userPool: UserPool;
  readonly domain: UserPoolDomain;
  /** The public client people sign in with (authorization code + PKCE, no secret). */
  readonly userClient: UserPoolClient;
  /** Confidential clients for the client-credentials flow, by configured name. */
  readonly machineClients: ReadonlyMap<string, UserPoolClient>;

  constructor(scope: Construct, id: string, props: CrmUserPoolProps) {
    super(scope, id);
    const { config } = props;
    const stackName = Stack.of(this).stackName;

    this.userPool = new UserPool(this, 'Pool', {
      userPoolName: `${stackName}-users`,
      // Admins invite users (admin-create-user); nobody can sign themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: config.mfa === 'required' ? Mfa.REQUIRED : Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      ...(config.threatProtection === 'off'
        ? { featurePlan: FeaturePlan.ESSENTIALS }
        : { featurePlan: FeaturePlan.PLUS, standardThreatProtectionMode: threatProtectionModes[config.threatProtection] }),
      // The users are the CRM's users: deleting the stack must not lock everyone out.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.acknowledgeOptionalSecurity(config);

    // Precedence follows rank, so admin wins when a user is in several groups.
    roles.forEach((role, rank) => {
      this.userPool.addGroup(`${capitalize(role)}Group`, {
        groupName: role,
        description: roleDescriptions[role],
        precedence: roles.length - 1 - rank,
      });
    });

    const resourceServer = this.userPool.addResourceServer('CrmResourceServer', {
      identifier: 'crm',
      userPoolResourceServerName: 'CRM API',
      scopes: Object.values(crmResourceServerScopes),
    });

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: config.domainPrefix ?? defaultDomainPrefix(stackName) },
    });

    this.userClient = this.userPool.addClient('UserClient', {
      userPoolClientName: `${stackName}-users`,
      generateSecret: false,
      authFlows: refreshTokenOnly,
      // Without CRM scopes: a user's role comes from their group alone. The handlers map
      // scopes to roles for machine clients, so a scope on a user token would let a user
      // without a group pick their own role.
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: config.callbackUrls,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
    });

    this.machineClients = new Map(
      config.machineClients.map((client) => [
        client.name,
        this.userPool.addClient(`MachineClient${pascalCase(client.name)}`, {
          userPoolClientName: `${stackName}-${client.name}`,
          generateSecret: true,
          authFlows: refreshTokenOnly,
          oAuth: {
            flows: { clientCredentials: true },
            scopes: client.scopes.map((scope) => OAuthScope.resourceServer(resourceServer, crmResourceServerScopes[scope])),
          },
          supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
        }),
      ]),
    );
  }

  /** Every client API Gateway should accept tokens from. */
  get clientIds(): string[] {
    return [this.userClient, ...this.machineClients.values()].map((client) => client.userPoolClientId);
  }

  /**
   * The `iss` of the pool's tokens: https://cognito-idp.<region>.amazonaws.com/<pool id>.
   * Spelled out because the pool's ProviderURL attribute lacks the https:// scheme.
   */
  get issuer(): string {
    const { region, urlSuffix } = Stack.of(this);
    return `https://cognito-idp.${region}.${urlSuffix}/${this.userPool.userPoolId}`;
  }

  /** Where clients exchange an authorization code or client credentials for tokens. */
  get tokenEndpoint(): string {
    return `${this.domain.baseUrl()}/oauth2/token`;
  }

  private acknowledgeOptionalSecurity(config: CognitoAuthConfig): void {
    if (config.mfa === 'optional') {
      const meanwhile =
        config.threatProtection === 'enforced'
          ? ' Meanwhile threat protection blocks sign-ins with compromised credentials and challenges risky ones.'
          : '';
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason:
          'MFA (TOTP) is offered to every user but optional by default, so a team can adopt the CRM before everyone has an ' +
          `authenticator app; set auth.mfa to "required" in the stage config to enforce it.${meanwhile}`,
      });
    }
    if (config.threatProtection === 'off') {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'The stage config sets auth.threatProtection to "off", keeping the Essentials feature plan to avoid the Plus ' +
          'per-user price; the strong password policy and TOTP MFA still apply.',
      });
    }
  }
}

/**
 * Prefix domains are unique per region across all AWS accounts, so the default adds the
 * account id to the stack name: crm-dev-123456789012.auth.<region>.amazoncognito.com.
 */
function defaultDomainPrefix(stackName: string): string {
  const base = stackName.toLowerCase();
  if (!/^[a-z0-9-]{1,50}$/.test(base) || reservedInDomainPrefix.test(base)) {
    throw new StackConfigError(
      `Invalid stack configuration:\n  - auth.domainPrefix: the default "${base}-<account id>" is not a valid ` +
        'Cognito domain prefix (lowercase letters, digits and hyphens; no "aws", "amazon" or "cognito"); set auth.domainPrefix.',
    );
  }
  return `${base}-${Aws.ACCOUNT_ID}`;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
const pascalCase = (name: string) => name.split('-').map(capitalize).join('');
