import type { PageKey } from './table-port';

/**
 * Pages assembled from BatchGetItem (timelines, records linked to a record) are not
 * bounded by Query's 1 MB page: 100 large activities could pass Lambda's 6 MB response
 * limit. Such a page stops once it holds this much JSON, and its cursor resumes right
 * after the last entry it kept. Leaves room for JSON escaping inside the Lambda payload.
 */
export const MAX_PAGE_JSON_BYTES = 2_500_000;

export interface PageEntry<T> {
  readonly value: T;
  /** The table key of the Query item this entry came from, to resume after it. */
  readonly key: PageKey;
}

export function fitPage<T>(entries: readonly PageEntry<T>[], lastKey: PageKey | undefined, maxBytes = MAX_PAGE_JSON_BYTES): { items: T[]; lastKey?: PageKey } {
  let bytes = 0;
  for (let index = 0; index < entries.length; index++) {
    bytes += Buffer.byteLength(JSON.stringify(entries[index]!.value));
    if (bytes > maxBytes && index > 0) return { items: entries.slice(0, index).map((entry) => entry.value), lastKey: entries[index - 1]!.key };
  }
  return { items: entries.map((entry) => entry.value), ...(lastKey ? { lastKey } : {}) };
}
