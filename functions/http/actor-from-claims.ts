import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { roles, type Actor, type Role } from '../../domain/shared/actor';
import { ForbiddenError, UnauthorizedError } from '../../domain/shared/errors';
import type { SignedInUser } from '../../domain/owners/owners';

/** What each OAuth scope lets a machine client do, expressed as the equivalent role. */
const scopeRoles: Record<string, Role> = { 'crm/read': 'viewer', 'crm/write': 'manager', 'crm/admin': 'admin' };

type JwtContext = { claims?: Record<string, unknown>; scopes?: string[] | null };

/**
 * API Gateway's JWT authorizer passes claims as strings; list claims arrive as
 * "[a b]". Tokens verified elsewhere may carry real arrays. Accept both.
 */
function claimList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value !== 'string') return [];
  const trimmed = value.trim();
  const inner = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  // Whitespace only: a group named "sales,admin" must not read as the role admin.
  return inner.split(/\s+/).filter(Boolean);
}

const highest = (candidates: Role[]): Role | undefined => candidates.sort((a, b) => roles.indexOf(b) - roles.indexOf(a))[0];

/**
 * The caller, from the claims API Gateway's authorizer verified, and from nothing
 * else: no header or body field can make a request act as someone. Users get their
 * role from the role claim (Cognito groups); machine clients from their scopes.
 */
export function actorFromClaims(event: APIGatewayProxyEventV2, roleClaim: string): Actor {
  const jwt = (event.requestContext as { authorizer?: { jwt?: JwtContext } }).authorizer?.jwt;
  const claims = jwt?.claims;
  const subject = claims?.sub;
  if (!claims || typeof subject !== 'string' || subject === '') throw new UnauthorizedError();
  const requestId = event.requestContext.requestId;

  const userRole = highest(claimList(claims[roleClaim]).filter((name): name is Role => (roles as readonly string[]).includes(name)));
  if (userRole) return { type: 'user', id: subject, role: userRole, requestId };

  // Scopes grant rights only to machine clients (client-credentials tokens): a signed-in
  // user without a role must not obtain one by asking for a crm/* scope at sign-in.
  const isMachineClient = claims.client_id === subject || claims.gty === 'client-credentials';
  const scopes = jwt?.scopes ?? claimList(claims.scope);
  const clientRole = isMachineClient ? highest(scopes.flatMap((scope) => (scopeRoles[scope] ? [scopeRoles[scope]] : []))) : undefined;
  if (clientRole) return { type: 'client', id: subject, role: clientRole, requestId };

  throw new ForbiddenError('The token carries no CRM role and no CRM scope.', `a role (${roles.join(', ')}) in claim ${roleClaim}, or a scope crm/read, crm/write or crm/admin`);
}

/** What a user's verified token says about them, for the owners list: its subject, and the email and name claims when it has them. */
export function signedInUserOf(event: APIGatewayProxyEventV2, actor: Actor): SignedInUser {
  const claims = (event.requestContext as { authorizer?: { jwt?: JwtContext } }).authorizer?.jwt?.claims ?? {};
  const text = (value: unknown) => (typeof value === 'string' && value.trim() !== '' && value.length <= 254 ? value.trim() : undefined);
  const email = text(claims.email);
  const name = text(claims.name) ?? ([text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ') || undefined);
  return { id: actor.id, ...(email ? { email } : {}), ...(name ? { name } : {}) };
}
