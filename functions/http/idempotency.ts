import { createHash } from 'node:crypto';
import { withDerivedIds } from '../../domain/shared/dependencies';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { Actor } from '../../domain/shared/actor';
import type { IdGenerator } from '../../domain/shared/table-port';
import type { ApiRequest, ApiResult } from './api-operation';

/**
 * Idempotency-Key, as the HTTP layer sees it. A request with a key runs once per key,
 * caller and target; a retry gets the first request's status and headers with the
 * resource as it is now, read back through the operation's own GET (api-core.ts); the
 * same key with another body is a 422. What is kept of a response holds no personal
 * data: its status, its Location, and for a batch each input's status, Location and
 * problem type, so nothing is left to erase when a contact is deleted.
 *
 * What a request creates gets ids derived from the caller, the key and what it is about
 * (withIdempotentIds), so a request that ran again after a crash finds its own records
 * instead of making new ones.
 */
export interface IdempotentCall {
  /** Who sends it: the token's subject and the client it signed in through. */
  readonly caller: readonly string[];
  /** Method and path, ids included. */
  readonly target: readonly string[];
  readonly key: string;
  /** The parsed body: the same JSON written differently is the same request. */
  readonly body: unknown;
}

export interface IdempotencyGuard {
  /**
   * Runs `run` unless this call ran before: then `replay` answers from what `store` kept of
   * the first response. While the first is still running, a second gets a 409.
   */
  once<Stored>(call: IdempotentCall, context: Context, run: () => Promise<ApiResult>, store: (result: ApiResult) => Stored, replay: (stored: Stored) => Promise<ApiResult>): Promise<ApiResult>;
}

export interface StoredResponse {
  readonly status: number;
  /** `content-location`: where the resource a non-create answered with lives (a merge's survivor), read back like a create's Location. */
  readonly headers: { readonly location?: string; readonly etag?: string; readonly 'content-location'?: string };
  readonly results?: readonly StoredBatchResult[];
}

interface StoredProblem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly [member: string]: unknown;
}

interface StoredBatchResult {
  readonly index: number;
  readonly status: number;
  readonly location?: string;
  readonly error?: StoredProblem;
}

/** A kept problem's detail can quote what was sent (an email address): it is replaced, its members kept. */
const REPLAYED_DETAIL = 'The first request with this Idempotency-Key got this problem; its detail is not kept. Send the input again with a new key to see it.';

/** What is kept of a response for replays (see the module comment). */
export function storedResponseOf(result: ApiResult, path: string): StoredResponse {
  const headers = {
    ...(result.headers?.location ? { location: result.headers.location } : {}),
    ...(result.headers?.etag ? { etag: result.headers.etag } : {}),
    ...(result.headers?.['content-location'] ? { 'content-location': result.headers['content-location'] } : {}),
  };
  const body = result.body as { results?: { index: number; status: number; record?: { id?: string }; error?: StoredProblem }[] } | undefined;
  if (!Array.isArray(body?.results)) return { status: result.status, headers };
  // A batch's records live at the collection's path: POST /v1/contacts/batch made /v1/contacts/<id>.
  const collection = path.replace(/\/batch$/, '');
  return {
    status: result.status,
    headers,
    results: body.results.map(({ index, status, record, error }) => ({
      index,
      status,
      ...(record?.id ? { location: `${collection}/${record.id}` } : {}),
      ...(error ? { error: { ...error, detail: REPLAYED_DETAIL } } : {}),
    })),
  };
}

/** The caller as the idempotency key sees it: a user and a machine client sharing a subject never meet. */
export function callerOf(event: APIGatewayProxyEventV2): string[] {
  const claims = (event.requestContext as { authorizer?: { jwt?: { claims?: Record<string, unknown> } } }).authorizer?.jwt?.claims ?? {};
  return [String(claims.sub ?? ''), String(claims.client_id ?? '')];
}

/** A request that may carry an Idempotency-Key: who sent it, the key, and what it asked for. */
export type KeyedRequest = Pick<ApiRequest, 'actor' | 'idempotencyKey' | 'body'>;

/** A value as one string whatever the order of its keys: two bodies that parse the same are the same request. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(value ?? null, (_name, member: unknown) =>
    member && typeof member === 'object' && !Array.isArray(member) ? Object.fromEntries(Object.entries(member).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : member,
  );

/**
 * An id that is the same for every retry of one request: the caller, its Idempotency-Key,
 * its body and what the request is about. Powertools replays a finished request's
 * response; this covers a retry after one that failed midway (its stored record is
 * dropped), which must find what the first attempt did (a claimed email) instead of doing
 * it again. The body is part of it because a stored response expires (24 h): a key reused
 * after that for another request then makes new ids, not the first request's.
 */
export function idOfIdempotentRequest(request: KeyedRequest & { readonly idempotencyKey: string }, ...scope: string[]): string {
  const { actor, idempotencyKey, body } = request;
  return createHash('sha256').update(JSON.stringify([actor.type, actor.id, idempotencyKey, canonicalJson(body), ...scope])).digest('base64url').slice(0, 32);
}

/**
 * `deps` for what one request (or one input of a batch) creates: with an Idempotency-Key,
 * its ids are derived from the request (idOfIdempotentRequest) and `scope`, the same
 * sequence on every retry, so a retry finds its own records; without a key, `deps` as they are.
 */
export function withIdempotentIds<D extends { readonly ids: IdGenerator }>(deps: D, request: KeyedRequest, ...scope: string[]): D {
  const key = request.idempotencyKey;
  if (key === undefined) return deps;
  return withDerivedIds(deps, (n) => idOfIdempotentRequest({ ...request, idempotencyKey: key }, ...scope, String(n)));
}
