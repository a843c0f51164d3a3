import type * as z from '../../domain/shared/zod';
import type { Actor } from '../../domain/shared/actor';
import type { IfMatch } from '../../domain/shared/optimistic-retry';
import { withLazyProperties } from '../../domain/shared/built-on-first-use';

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
  readonly pathParams?: z.ZodMiniObject;
  readonly query?: z.ZodMiniType;
  readonly body?: z.ZodMiniType;
  /** The body may be left out: every field of it is optional, and none sent means `{}`. */
  readonly bodyOptional?: boolean;
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
  /** Only for admins (users) and clients with the `crm/admin` scope; the domain enforces it, the document states it. */
  readonly adminOnly?: boolean;
  /** A GET that may write (makes what it answers on first use): it needs `crm/write`, and may answer as writes do. */
  readonly writes?: boolean;
}

export interface SuccessResponse {
  readonly status: number;
  readonly description: string;
  readonly schema?: z.ZodMiniType;
  /** One, or any of several; application/json when absent. */
  readonly contentType?: string | readonly string[];
  /** Headers the answer carries besides the usual ones, by name, with what each says (a redirect's `location`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The operations one Lambda serves, by name; implementations are keyed the same way. */
export type OperationGroup = Readonly<Record<string, ApiOperation>>;

/** A schema, or a function that builds it when first used (domain/shared/built-on-first-use.ts). */
type SchemaSpec<S extends z.ZodMiniType = z.ZodMiniType> = S | (() => S);
type Built<T> = T extends () => infer S ? S : T;
type ResponseSpec = Omit<SuccessResponse, 'schema'> & { readonly schema?: SchemaSpec };
type BuiltResponse<R> = { readonly [K in keyof R]: K extends 'schema' ? Built<R[K]> : R[K] };
type BuiltResponses<T> = { readonly [I in keyof T]: BuiltResponse<T[I]> };

/** An operation as declared: its schemas may be given as functions that build them. */
export interface OperationSpec extends Omit<ApiOperation, 'pathParams' | 'query' | 'body' | 'success' | 'otherResponses'> {
  readonly pathParams?: SchemaSpec<z.ZodMiniObject>;
  readonly query?: SchemaSpec;
  readonly body?: SchemaSpec;
  readonly success: ResponseSpec & Pick<ApiOperation['success'], 'location' | 'etag'>;
  readonly otherResponses?: readonly ResponseSpec[];
}

export type OperationOf<S extends OperationSpec> = {
  readonly [K in keyof S]: K extends 'pathParams' | 'query' | 'body' ? Built<S[K]> : K extends 'success' ? BuiltResponse<S[K]> : K extends 'otherResponses' ? BuiltResponses<S[K]> : S[K];
};

/** `holder`, with each schema given as a function turned into a property built on first read. */
function withSchemasBuiltOnFirstRead<T extends object>(holder: T, names: readonly string[]): T {
  const builders = Object.fromEntries(names.flatMap((name) => (typeof (holder as Record<string, unknown>)[name] === 'function' ? [[name, (holder as Record<string, () => unknown>)[name]!]] : [])));
  const rest = Object.fromEntries(Object.entries(holder).filter(([name]) => !(name in builders)));
  return withLazyProperties(rest, builders) as T;
}

/**
 * An operation of the contract, keeping each schema's type so implementations see exactly
 * what was validated. Schemas given as functions are built when a request (or the OpenAPI
 * document) first reads them, so a Lambda builds the schemas of the operations it serves.
 */
export function operation<const S extends OperationSpec>(spec: S): OperationOf<S> {
  return withSchemasBuiltOnFirstRead(
    {
      ...spec,
      success: withSchemasBuiltOnFirstRead(spec.success, ['schema']),
      ...(spec.otherResponses ? { otherResponses: spec.otherResponses.map((response) => withSchemasBuiltOnFirstRead(response, ['schema'])) } : {}),
    },
    ['pathParams', 'query', 'body'],
  ) as unknown as OperationOf<S>;
}

type Parsed<S, Otherwise> = S extends z.ZodMiniType ? z.output<S> : Otherwise;

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
