import type { ApiResult } from './api-operation';

/** Strong ETags carry the resource's version: `"7"`. */
export const etagOf = (version: number) => `"${version}"`;

/** A versioned resource (record, pipeline, property, sequence) with its ETag. */
export const withEtag = <T extends { version: number }>(status: number, body: T): ApiResult => ({ status, body, headers: { etag: etagOf(body.version) } });

/** A created resource: 201, where it lives, and its ETag when it has a version. */
export function created<T extends object>(location: string, body: T): ApiResult {
  const version = (body as { version?: unknown }).version;
  return { status: 201, body, headers: { location, ...(typeof version === 'number' ? { etag: etagOf(version) } : {}) } };
}
