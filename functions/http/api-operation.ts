import type { z } from 'zod';
import type { Actor } from '../../domain/shared/actor';
import type { IfMatch } from '../../domain/shared/optimistic-retry';

/**
 * One HTTP operation of the public contract: its route, schemas and responses. Requests
 * are validated against these schemas, implementations receive the types inferred from
 * them, and the OpenAPI document is generated from them: what the document says is what
 * the API accepts and sends.
 */
export interface ApiOperation {
  /** API Gateway route key, e.g. `GET /v1/contacts/{id}`. */
  readonly routeKey: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly pathParams?: z.ZodObject;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** An example request body, for the reference page and code generators. */
  readonly bodyExample?: unknown;
  readonly success: SuccessResponse & {
    /** The response says where the created resource lives (201). */
    readonly location?: boolean;
    /** The response carries the resource's ETag. */
    readonly etag?: boolean;
  };
  /** Other answers with a body of their own (a batch's 207, a delete that finishes in the background: 202, an HTML page for an invalid link). */
  readonly otherResponses?: readonly SuccessResponse[];
  /** Accepts `Idempotency-Key` (POST). */
  readonly idempotent?: boolean;
  /** Honors `If-Match` with the record's ETag. */
  readonly conditional?: boolean;
  /** Served without authentication. */
  readonly public?: boolean;
}

export interface SuccessResponse {
  readonly status: number;
  readonly description: string;
  readonly schema?: z.ZodType;
  /** One, or any of several; application/json when absent. */
  readonly contentType?: string | readonly string[];
}

/** The operations one Lambda serves, by name; implementations are keyed the same way. */
export type OperationGroup = Readonly<Record<string, ApiOperation>>;

/** Keeps each operation's schema types, so implementations see exactly what was validated. */
export const operation = <const O extends ApiOperation>(spec: O): O => spec;

type Parsed<S, Otherwise> = S extends z.ZodType ? z.output<S> : Otherwise;

export interface ApiRequest<O extends ApiOperation = ApiOperation> {
  readonly params: Parsed<O['pathParams'], Record<string, never>>;
  readonly query: Parsed<O['query'], Record<string, never>>;
  readonly body: Parsed<O['body'], undefined>;
  readonly actor: Actor;
  /** Versions named by If-Match; undefined when absent or `*`. */
  readonly ifMatch?: IfMatch;
  /** The Idempotency-Key header of an operation that accepts one. */
  readonly idempotencyKey?: string;
  /** Milliseconds until the Lambda times out: long work stops early and leaves the rest to the background. */
  remainingTimeMs(): number;
  /** A request header, by lower-case name. */
  header(name: string): string | undefined;
}

export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sent as is instead of JSON (HTML pages). */
  readonly rawBody?: string;
  /** `rawBody` is base64 of bytes (a gzipped script). */
  readonly base64?: boolean;
}

export type OperationImplementation<O extends ApiOperation = ApiOperation> = (request: ApiRequest<O>) => Promise<ApiResult>;

/** One implementation per operation of the group, each typed by its operation. */
export type Implementations<G extends OperationGroup> = { readonly [K in keyof G]: OperationImplementation<G[K]> };
