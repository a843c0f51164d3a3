import type { IfMatch } from '../../domain/shared/optimistic-retry';

/** `[W/]"…"`, each entity-tag of an If-Match list (RFC 9110 §8.8.3; etagc allows commas). */
const ENTITY_TAG = /\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/gy;

/**
 * The versions an If-Match header names (RFC 9110 §13.1.1). Absent or `*` imposes none
 * (`*` only asks that the record exist, which every conditional route checks anyway). The
 * comparison is strong: a weak tag never matches, and neither does a tag that is not one
 * of ours; a header that parses to no version at all is a list nothing can match: a 412.
 */
export function ifMatchOf(header: string | undefined): IfMatch | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const versions: number[] = [];
  ENTITY_TAG.lastIndex = 0;
  let consumed = 0;
  for (let match = ENTITY_TAG.exec(header); match; match = ENTITY_TAG.exec(header)) {
    consumed = ENTITY_TAG.lastIndex;
    if (!match[1] && /^\d{1,15}$/.test(match[2]!)) versions.push(Number(match[2]));
    if (consumed >= header.length) break;
  }
  return versions;
}
