import { PreconditionFailedError } from '../../domain/shared/errors';

/** Strong ETags carry the record version: `"7"`. */
export const etagOf = (version: number) => `"${version}"`;

/** A response carrying a versioned resource (record, pipeline, property) with its ETag. */
export const withEtag = <T extends { version: number }>(status: number, body: T) => ({ status, body, headers: { etag: etagOf(body.version) } });

/**
 * The version an If-Match header names. `*` and an absent header impose no version.
 * A value that names no version of ours can never match, so it is a 412, as RFC 9110 says.
 */
export function versionFromIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header);
  if (!match) throw new PreconditionFailedError();
  return Number(match[1]);
}
