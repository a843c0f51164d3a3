import { describe, expect, it } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { actorFromClaims } from '../../functions/http/actor-from-claims';
import { ForbiddenError, UnauthorizedError } from '../../domain/shared/errors';

const eventWith = (claims?: Record<string, string>, scopes?: string[]) =>
  ({ requestContext: { requestId: 'req-1', ...(claims ? { authorizer: { jwt: { claims, scopes: scopes ?? null } } } : {}) } }) as unknown as APIGatewayProxyEventV2;

describe('the caller from API Gateway JWT claims', () => {
  it('reads Cognito groups in API Gateway\'s "[a b]" form and picks the strongest role', () => {
    expect(actorFromClaims(eventWith({ sub: 'u1', 'cognito:groups': '[viewer manager]' }), 'cognito:groups')).toEqual({ type: 'user', id: 'u1', role: 'manager', requestId: 'req-1' });
  });

  it('reads roles from the configured claim of an external issuer', () => {
    expect(actorFromClaims(eventWith({ sub: 'u2', crm_roles: 'admin' }), 'crm_roles').role).toBe('admin');
  });

  it('gives machine clients the role their scopes imply', () => {
    expect(actorFromClaims(eventWith({ sub: 'etl', client_id: 'etl' }, ['crm/read', 'crm/write']), 'cognito:groups')).toEqual({ type: 'client', id: 'etl', role: 'manager', requestId: 'req-1' });
  });

  it('ignores crm scopes on a user token without a role', () => {
    expect(() => actorFromClaims(eventWith({ sub: 'u3', client_id: 'web-app', scope: 'openid crm/admin' }), 'cognito:groups')).toThrow(ForbiddenError);
  });

  it('refuses a request the authorizer did not vouch for', () => {
    expect(() => actorFromClaims(eventWith(), 'cognito:groups')).toThrow(UnauthorizedError);
    expect(() => actorFromClaims(eventWith({ 'cognito:groups': '[admin]' }), 'cognito:groups')).toThrow(UnauthorizedError);
  });
});
