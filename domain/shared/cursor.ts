import { InvalidCursorError } from './errors';
import type { CrmTablePort, KeyQuery, PageKey, QueryPage } from './table-port';

/**
 * Cursors are opaque to clients but checked on the way back in: one must decode to
 * a key of the same access pattern and partition it was issued for, or the request
 * is a 400. DynamoDB would otherwise reject a foreign start key with a 500.
 */
interface CursorBody {
  readonly v: 1;
  readonly p: string;
  readonly k: PageKey;
}

const KEY_ATTRIBUTE = /^(pk|sk|gsi[1-4](pk|sk))$/;

export function encodeCursor(query: KeyQuery, lastKey: PageKey): string {
  const body: CursorBody = { v: 1, p: query.pattern, k: lastKey };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

export function decodeCursor(query: KeyQuery, cursor: string): PageKey {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (!isCursorBody(body) || body.p !== query.pattern) throw new InvalidCursorError();
  const partitionAttribute = query.index ? `${query.index}pk` : 'pk';
  const requiredAttributes = query.index ? [partitionAttribute, `${query.index}sk`, 'pk', 'sk'] : ['pk', 'sk'];
  const attributes = Object.keys(body.k);
  if (body.k[partitionAttribute] !== query.partitionKey) throw new InvalidCursorError();
  if (attributes.length !== requiredAttributes.length || !requiredAttributes.every((name) => attributes.includes(name))) throw new InvalidCursorError();
  const sortValue = body.k[query.index ? `${query.index}sk` : 'sk']!;
  if (!withinSortKeyCondition(query, sortValue)) throw new InvalidCursorError();
  return body.k;
}

function isCursorBody(value: unknown): value is CursorBody {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  if (body.v !== 1 || typeof body.p !== 'string' || typeof body.k !== 'object' || body.k === null) return false;
  return Object.entries(body.k).every(([name, keyValue]) => KEY_ATTRIBUTE.test(name) && typeof keyValue === 'string' && keyValue.length > 0 && keyValue.length <= 1024);
}

function withinSortKeyCondition(query: KeyQuery, sortValue: string): boolean {
  const condition = query.sortKey;
  if (!condition) return true;
  if (condition.kind === 'beginsWith') return sortValue.startsWith(condition.prefix);
  return sortValue >= condition.from && sortValue <= condition.to;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string;
}

/** One page of a named access pattern, resuming from a client's opaque cursor. */
export async function queryPage(table: CrmTablePort, query: KeyQuery, page: PageRequest): Promise<QueryPage> {
  const startKey = page.cursor ? decodeCursor(query, page.cursor) : undefined;
  return table.query(query, { limit: page.limit, ...(startKey ? { startKey } : {}) });
}

/** The cursor a client sends back for the page after the one that ended at `lastKey`; null on the last page. */
export const nextCursorOf = (query: KeyQuery, lastKey: PageKey | undefined): string | null => (lastKey ? encodeCursor(query, lastKey) : null);
