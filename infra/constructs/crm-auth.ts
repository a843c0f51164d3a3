import type { IHttpRouteAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { Construct } from 'constructs';
import { defaultRoleClaim, type AuthConfig } from '../stack-config';
import { CrmUserPool } from './crm-user-pool';

export interface CrmAuthProps {
  readonly config: AuthConfig;
}

/**
 * Who may call the API: a JWT authorizer that trusts either the stack's own Cognito
 * user pool or an existing OIDC provider, and the claim the handlers read roles from.
 */
export class CrmAuth extends Construct {
  /** Verifies signature, issuer, audience and expiry of every bearer token. */
  readonly authorizer: IHttpRouteAuthorizer;
  readonly issuer: string;
  /** The token claim that lists a user's roles (AUTH_ROLE_CLAIM for the handlers). */
  readonly roleClaim: string;
  /** Only in `cognito` mode. */
  readonly userPool: CrmUserPool | undefined;

  constructor(scope: Construct, id: string, props: CrmAuthProps) {
    super(scope, id);
    const { config } = props;

    let audience: string[];
    if (config.mode === 'cognito') {
      this.userPool = new CrmUserPool(this, 'UserPool', { config });
      this.issuer = this.userPool.issuer;
      // Cognito access tokens carry no `aud`; API Gateway then checks `client_id`
      // against this list, so every client of the pool is an audience.
      audience = this.userPool.clientIds;
      this.roleClaim = defaultRoleClaim;
    } else {
      this.userPool = undefined;
      this.issuer = config.issuer;
      audience = config.audience;
      this.roleClaim = config.roleClaim;
    }

    this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', this.issuer, {
      jwtAudience: audience,
      authorizerName: 'jwt',
    });
  }
}
