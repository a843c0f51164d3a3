import type { z } from 'zod';
import type { Actor } from '../../domain/shared/actor';
import type { IfMatch } from '../../domain/shared/optimistic-retry';

/**
 * One HTTP operation of the public contract: its route, schemas and success shape.
 * Handlers validate against these schemas and the OpenAPI document is generated
 * from them, so the documentation cannot drift from what the API accepts.
 */
export interface ApiOperation {
  /** API Gateway route key, e.g. `GET /v1/contacts/{id}`. */
  readonly routeKey: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  readonly pathParams?: z.ZodObject;
  readonly query?: z.ZodType<Record<string, unknown>>;
  readonly body?: z.ZodType;
  readonly success: { readonly status: number; readonly description: string; readonly schema?: z.ZodType; readonly contentType?: string };
  /** Accepts `Idempotency-Key` (POST). */
  readonly idempotent?: boolean;
  /** Honors `If-Match` with the record's ETag. */
  readonly conditional?: boolean;
  /** Served without authentication. */
  readonly public?: boolean;
}

export interface ApiRequest {
  readonly params: Record<string, string>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly actor: Actor;
  /** Versions named by If-Match; undefined when absent or `*`. */
  readonly ifMatch?: IfMatch;
  /** The Idempotency-Key header of an operation that accepts one. */
  readonly idempotencyKey?: string;
  /** Milliseconds until the Lambda times out: long work stops early and leaves the rest to the background. */
  remainingTimeMs(): number;
}

export interface ApiResult {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Sent as is instead of JSON (the HTML reference page). */
  readonly rawBody?: string;
}

export type OperationImplementation = (request: ApiRequest) => Promise<ApiResult>;
