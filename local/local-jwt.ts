import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';
import type { Role } from '../domain/shared/actor';

/**
 * Locally, the gateway plays API Gateway's JWT authorizer: it verifies signature,
 * issuer, audience and expiry of a bearer token against a local signing key, and
 * hands the handlers the claims in the same shape. The key lives in the data folder
 * so `npm run token` and `npm start` agree on it.
 */
export const LOCAL_ISSUER = 'https://auth.crm.localhost';
export const LOCAL_AUDIENCE = 'crm-local';
const ALGORITHM = 'ES256';

export interface LocalSigningKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

export async function createSigningKey(): Promise<LocalSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  return { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
}

export async function loadOrCreateSigningKey(path: string): Promise<LocalSigningKey> {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as LocalSigningKey;
  const key = await createSigningKey();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(key), { mode: 0o600, flag: 'wx' });
  return key;
}

/**
 * The key `npm start` signs with, for the commands that mint tokens beside it (token, seed).
 * A missing key means the CRM runs with another data folder, or has never run: a fresh key
 * would mint tokens that server refuses, so say that instead.
 */
export function loadSigningKey(path: string): LocalSigningKey {
  if (!existsSync(path)) {
    throw new Error(`No local signing key at ${path}. Start the CRM first (npm start), and give this command the same CRM_DATA_DIR it runs with.`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as LocalSigningKey;
}

export type TokenSubject =
  /** `email` and `name` become claims, as an OIDC provider may put them in access tokens (Cognito's carry neither). */
  | { readonly kind: 'user'; readonly id: string; readonly role: Role; readonly email?: string; readonly name?: string }
  | { readonly kind: 'client'; readonly id: string; readonly scopes: readonly string[] };

export interface TokenOptions {
  readonly expiresInSeconds?: number;
  readonly issuer?: string;
  readonly audience?: string;
}

/** A token shaped like Cognito's access tokens: groups for users, scopes for clients. */
export async function mintToken(key: LocalSigningKey, subject: TokenSubject, options: TokenOptions = {}): Promise<string> {
  const claims: JWTPayload =
    subject.kind === 'user'
      ? {
          'cognito:groups': [subject.role],
          username: subject.id,
          scope: 'openid email',
          client_id: LOCAL_AUDIENCE,
          token_use: 'access',
          ...(subject.email ? { email: subject.email } : {}),
          ...(subject.name ? { name: subject.name } : {}),
        }
      : { scope: subject.scopes.join(' '), client_id: subject.id, token_use: 'access' };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(subject.id)
    .setIssuer(options.issuer ?? LOCAL_ISSUER)
    .setAudience(options.audience ?? LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600))
    .sign(await importJWK(key.privateJwk, ALGORITHM));
}

/** The authorizer context API Gateway passes a Lambda: claim values as strings, lists as "[a b]". */
export interface JwtAuthorizerContext {
  readonly claims: Record<string, string>;
  readonly scopes: string[] | null;
}

function asGatewayClaim(value: unknown): string {
  if (Array.isArray(value)) return `[${value.join(' ')}]`;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export type LocalJwtAuthorizer = (authorizationHeader: string | undefined) => Promise<JwtAuthorizerContext | undefined>;

/** How many verified tokens the local gateway remembers (a client sends the same token with every request). */
const REMEMBERED_TOKENS = 10_000;

/**
 * Verifies a bearer token; undefined means API Gateway would answer 401. A token that
 * verified is remembered with its claims until it expires: verifying an ES256 signature (a
 * WebCrypto job off the main thread) took the local gateway 0.7 ms a request, more than a
 * DynamoDB GetItem, and in AWS that check is API Gateway's time, not the Lambda's.
 */
export async function createLocalJwtAuthorizer(key: Pick<LocalSigningKey, 'publicJwk'>): Promise<LocalJwtAuthorizer> {
  const publicKey = await importJWK(key.publicJwk, ALGORITHM);
  const verified = new Map<string, { readonly context: JwtAuthorizerContext; readonly expiresAtMs: number }>();
  return async (authorizationHeader) => {
    const token = /^Bearer\s+(\S+)$/i.exec(authorizationHeader ?? '')?.[1];
    if (!token) return undefined;
    const remembered = verified.get(token);
    if (remembered && Date.now() < remembered.expiresAtMs) return remembered.context;
    verified.delete(token);
    try {
      const { payload } = await jwtVerify(token, publicKey, { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, algorithms: [ALGORITHM], requiredClaims: ['exp', 'iss', 'aud', 'sub'] });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
      const context = {
        claims: Object.fromEntries(Object.entries(payload).map(([name, value]) => [name, asGatewayClaim(value)])),
        scopes: scopes.length > 0 ? scopes : null,
      };
      // The oldest goes first when full: a Map iterates in insertion order.
      if (verified.size >= REMEMBERED_TOKENS) verified.delete(verified.keys().next().value!);
      verified.set(token, { context, expiresAtMs: payload.exp! * 1000 });
      return context;
    } catch {
      return undefined;
    }
  };
}
