import { InvalidCursorError } from './errors';
import { partitionQueries, type ListQuery } from './key-design';
import type { Page, PageRequest } from './page';
import type { CrmTablePort, Item, KeyQuery, PageKey, QueryPage } from './table-port';

/**
 * Cursor pagination over one list (key-design.ts ListQuery): every shard's partition read
 * in one wave of parallel Queries, then merged in sort order. Items spread evenly over the
 * shards (the shard comes from a hash of the id), so each shard is asked for its share of
 * the page plus a margin (shardPageLimit); in the rare page where one shard holds more
 * than that, the page comes back shorter than `limit`, never with an item skipped. Read
 * cost: one Query per shard; docs/data-model.md states it per list.
 *
 * The cursor holds each partition's position (the key of the last item taken from it),
 * so the next page resumes every shard exactly where this one stopped: an item that does
 * not change meanwhile appears exactly once, in order. Cursors are opaque to clients but
 * checked on the way back in: each position must belong to its partition and lie inside
 * the list's sort range, or the request is a 400 (DynamoDB would refuse a foreign start
 * key with a 500).
 */

/** Pages assembled into JSON stop at this size, leaving room under Lambda's 6 MB response limit for escaping. */
export const MAX_PAGE_JSON_BYTES = 2_500_000;

export interface ListPage {
  /** In list order, at most `limit`. */
  readonly items: readonly Item[];
  /** The cursor resuming right after the first `consumed` items (default: all of them); null when nothing is left. */
  cursorAfter(consumed?: number): string | null;
}

const LEGACY = 'L';
const DONE = 0;
type Position = PageKey | typeof DONE;

interface CursorBody {
  readonly v: 2;
  readonly p: string;
  /** Which list of the pattern (its partitions and range): a cursor of one owner's list is no cursor of another's. */
  readonly q: string;
  /** By partition (its index in the query, or L for the legacy one): the last position, or 0 when it is done. */
  readonly s: Record<string, readonly string[] | typeof DONE>;
}

interface Partition {
  readonly label: string;
  readonly partitionKey: string;
}

/**
 * How many items each of `shards` partitions is asked for, for a page of `limit`: the
 * shard's expected share plus 3.5 standard deviations (binomial) and one. One page in a
 * thousand, simulated, comes back short; a short page still has a cursor to the rest.
 */
export function shardPageLimit(limit: number, shards: number): number {
  if (shards <= 1) return limit;
  const share = limit / shards;
  return Math.min(limit, Math.ceil(share + 3.5 * Math.sqrt(share * (1 - 1 / shards))) + 1);
}

const sortAttribute = (query: Pick<ListQuery, 'index'>) => (query.index ? `${query.index}sk` : 'sk');
const partitionAttribute = (query: Pick<ListQuery, 'index'>) => (query.index ? `${query.index}pk` : 'pk');

function partitionsOf(query: ListQuery, readLegacy: boolean): Partition[] {
  const partitions = query.partitionKeys.map((partitionKey, index) => ({ label: String(index), partitionKey }));
  return readLegacy && query.legacyPartitionKey ? [...partitions, { label: LEGACY, partitionKey: query.legacyPartitionKey }] : partitions;
}

/** A page key holds the table key, and for an index its key too; the index partition is the cursor's own. */
function compactPosition(query: ListQuery, key: PageKey): string[] {
  if (query.index && query.tableKeysAt) return [key[sortAttribute(query)]!];
  return query.index ? [key[sortAttribute(query)]!, key.pk!, key.sk!] : [key.sk!];
}

const positionWidth = (query: ListQuery) => (query.index && !query.tableKeysAt ? 3 : 1);

function expandPosition(query: ListQuery, partitionKey: string, compact: readonly string[]): PageKey {
  if (query.index && query.tableKeysAt) return { [partitionAttribute(query)]: partitionKey, [sortAttribute(query)]: compact[0]!, ...query.tableKeysAt(partitionKey, compact[0]!) };
  return query.index
    ? { [partitionAttribute(query)]: partitionKey, [sortAttribute(query)]: compact[0]!, pk: compact[1]!, sk: compact[2]! }
    : { pk: partitionKey, sk: compact[0]! };
}

function withinSortRange(query: ListQuery, sortValue: string): boolean {
  const condition = query.sortKey;
  if (!condition) return true;
  if (condition.kind === 'beginsWith') return sortValue.startsWith(condition.prefix);
  return !inByteOrder(sortValue, condition.from) && !inByteOrder(condition.to, sortValue);
}

/** A short fingerprint of what the list reads (not a secret: cursors are checked, not trusted). */
function listFingerprint(query: ListQuery): string {
  // The direction too: a cursor of a list read A to Z resumes no list read Z to A.
  const text = JSON.stringify([query.index ?? '', query.partitionKeys, query.legacyPartitionKey ?? '', query.sortKey ?? null, ...(query.ascending ? ['asc'] : [])]);
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x01000193);
  return (hash >>> 0).toString(36);
}

function encodeCursor(query: ListQuery, positions: ReadonlyMap<string, Position>): string {
  const body: CursorBody = {
    v: 2,
    p: query.pattern,
    q: listFingerprint(query),
    s: Object.fromEntries([...positions].map(([label, position]) => [label, position === DONE ? DONE : compactPosition(query, position)])),
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function decodeCursor(query: ListQuery, partitions: readonly Partition[], cursor: string): Map<string, Position> {
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (typeof body !== 'object' || body === null) throw new InvalidCursorError();
  const { v, p, q, s } = body as Partial<CursorBody>;
  if (v !== 2 || p !== query.pattern || q !== listFingerprint(query) || typeof s !== 'object' || s === null) throw new InvalidCursorError();
  const byLabel = new Map(partitions.map((partition) => [partition.label, partition]));
  const positions = new Map<string, Position>();
  const width = positionWidth(query);
  for (const [label, value] of Object.entries(s)) {
    // A cursor issued while the shard migration ran may name the legacy partition after it finished: it is done by then.
    if (label === LEGACY && !byLabel.has(LEGACY)) continue;
    const partition = byLabel.get(label);
    if (!partition) throw new InvalidCursorError();
    if (value === DONE) {
      positions.set(label, DONE);
      continue;
    }
    const valid = Array.isArray(value) && value.length === width && value.every((part) => typeof part === 'string' && part.length > 0 && part.length <= 1024);
    if (!valid || !withinSortRange(query, value[0] as string)) throw new InvalidCursorError();
    positions.set(label, expandPosition(query, partition.partitionKey, value as string[]));
  }
  return positions;
}

function pageKeyOf(query: ListQuery, item: Item): PageKey {
  const key: PageKey = { pk: item.pk, sk: item.sk };
  if (query.index) {
    key[partitionAttribute(query)] = String(item[partitionAttribute(query)]);
    key[sortAttribute(query)] = String(item[sortAttribute(query)]);
  }
  return key;
}

/**
 * Whether `a` sorts before `b` as DynamoDB orders keys: by UTF-8 bytes, which is code point
 * order. JavaScript's `<` compares UTF-16 units, which puts a character past U+FFFF (a rare
 * CJK surname, or the list-views marker of a missing value) before U+E000 to U+FFFF.
 */
export function inByteOrder(a: string, b: string): boolean {
  for (let index = 0; index < a.length && index < b.length; ) {
    const left = a.codePointAt(index)!;
    const right = b.codePointAt(index)!;
    if (left !== right) return left < right;
    index += left > 0xffff ? 2 : 1;
  }
  return a.length < b.length;
}

const identityOf = (item: Item) => `${item.pk}\u0000${item.sk}`;

interface MergedEntry {
  readonly item: Item;
  readonly sortValue: string;
  /** Each partition the item was read from (two while the shard migration runs: legacy and new). */
  readonly sources: { readonly label: string; readonly key: PageKey }[];
}

/**
 * Reads one page of a list: each partition not yet done, in parallel, from its position.
 * Items are merged in sort order; only items up to the earliest "read up to here" of the
 * partitions that have more are safe to return: a shard that stopped early may hold items
 * that sort before another shard's later ones, and they come first on the next page.
 */
export async function queryList(table: CrmTablePort, query: ListQuery, page: PageRequest, options: { readonly readLegacy?: boolean } = {}): Promise<ListPage> {
  const partitions = partitionsOf(query, options.readLegacy ?? false);
  const start = page.cursor ? decodeCursor(query, partitions, page.cursor) : new Map<string, Position>();
  const open = partitions.filter((partition) => start.get(partition.label) !== DONE);
  const results = await Promise.all(
    open.map(async (partition): Promise<[Partition, QueryPage]> => {
      const position = start.get(partition.label);
      const single: KeyQuery = {
        pattern: query.pattern,
        ...(query.index ? { index: query.index } : {}),
        partitionKey: partition.partitionKey,
        ...(query.sortKey ? { sortKey: query.sortKey } : {}),
        ...(query.ascending ? { ascending: true } : {}),
      };
      // The legacy partition may still hold the whole list: it is read for a whole page.
      const limit = partition.label === LEGACY ? page.limit : shardPageLimit(page.limit, query.pageSpreadsOver ?? query.partitionKeys.length);
      return [partition, await table.query(single, { limit, ...(position ? { startKey: position } : {}) })];
    }),
  );

  const sortKey = sortAttribute(query);
  const before = (a: string, b: string) => (query.ascending ? inByteOrder(a, b) : inByteOrder(b, a));
  // The earliest point up to which every partition with more to read has been read.
  let boundary: string | undefined;
  for (const [, result] of results) {
    if (!result.lastKey) continue;
    const last = result.items.at(-1);
    const readUpTo = last ? String(last[sortKey]) : result.lastKey[sortKey]!;
    if (boundary === undefined || before(readUpTo, boundary)) boundary = readUpTo;
  }

  const merged = new Map<string, MergedEntry>();
  for (const [partition, result] of results) {
    for (const item of result.items) {
      const sortValue = String(item[sortKey]);
      if (boundary !== undefined && before(boundary, sortValue)) continue;
      const identity = identityOf(item);
      const source = { label: partition.label, key: pageKeyOf(query, item) };
      const existing = merged.get(identity);
      if (existing) existing.sources.push(source);
      else merged.set(identity, { item, sortValue, sources: [source] });
    }
  }
  const ordered = [...merged.values()].sort((a, b) => (a.sortValue === b.sortValue ? 0 : before(a.sortValue, b.sortValue) ? -1 : 1)).slice(0, page.limit);

  return {
    items: ordered.map((entry) => entry.item),
    cursorAfter(consumed = ordered.length) {
      const positions = new Map(start);
      const taken = new Set<string>();
      for (const entry of ordered.slice(0, consumed)) {
        taken.add(identityOf(entry.item));
        for (const source of entry.sources) positions.set(source.label, source.key);
      }
      for (const [partition, result] of results) {
        if (result.lastKey && result.items.length === 0) positions.set(partition.label, result.lastKey);
        // Nothing left in it and all it gave was taken: done. (Items past the boundary were not taken: it resumes before them.)
        if (!result.lastKey && result.items.every((item) => taken.has(identityOf(item)))) positions.set(partition.label, DONE);
      }
      const allDone = partitions.every((partition) => positions.get(partition.label) === DONE);
      return allDone ? null : encodeCursor(query, positions);
    },
  };
}

/**
 * One page of values from a list: `toValues` turns the listed items into what the API
 * returns (undefined for an item that yields nothing, such as a link to a record deleted
 * meanwhile), and the page stops once its JSON would pass the byte budget: a page of
 * large items (long activity bodies, custom properties) can never outgrow Lambda's 6 MB
 * response. The cursor resumes right after the last item kept.
 */
export async function pageOf<T>(list: ListPage, toValues: (items: readonly Item[]) => Promise<readonly (T | undefined)[]> | readonly (T | undefined)[], maxBytes = MAX_PAGE_JSON_BYTES): Promise<Page<T>> {
  const values = await toValues(list.items);
  const consumed = fittingCount(values, maxBytes);
  return { items: values.slice(0, consumed).filter((value): value is T => value !== undefined), nextCursor: list.cursorAfter(consumed) };
}

/** How many leading values fit in `maxBytes` of JSON; at least one, so paging always makes progress. */
export function fittingCount(values: readonly unknown[], maxBytes = MAX_PAGE_JSON_BYTES): number {
  let bytes = 0;
  for (let index = 0; index < values.length; index++) {
    if (values[index] === undefined) continue;
    bytes += Buffer.byteLength(JSON.stringify(values[index]));
    if (bytes > maxBytes && index > 0) return index;
  }
  return values.length;
}

/** The common case: one page of a list, each item mapped on its own. */
export async function listPage<T>(table: CrmTablePort, query: ListQuery, page: PageRequest, toValue: (item: Item) => T | undefined, options?: { readonly readLegacy?: boolean }): Promise<Page<T>> {
  return pageOf(await queryList(table, query, page, options), (items) => items.map(toValue));
}

/**
 * Every page of one Query, in key order, each handed to `visit` before the next is read: for
 * work that must see every item of a partition (a migration, a schema follow-up, a contact's
 * enrollments), not for pages of a list.
 */
export async function forEachQueryPage(table: CrmTablePort, query: KeyQuery, pageSize: number, visit: (items: Item[]) => Promise<void> | void): Promise<void> {
  let startKey: PageKey | undefined;
  do {
    const page = await table.query(query, { limit: pageSize, ...(startKey ? { startKey } : {}) });
    await visit(page.items);
    startKey = page.lastKey;
  } while (startKey);
}

/**
 * Works through what an index lists until a read of it finds nothing, for work that takes
 * each item out of the list (a delete's sweep, a merge moving a contact's emails to the
 * survivor): the index is eventually consistent, so a page may come back again before it
 * catches up, and `work` must be idempotent. Answers false when `hasTimeLeft` said stop
 * before a page, with the rest still listed.
 */
export async function untilNoneListed(table: CrmTablePort, list: ListQuery, pageSize: number, work: (items: Item[]) => Promise<void>, hasTimeLeft: () => boolean = () => true): Promise<boolean> {
  for (const query of partitionQueries(list)) {
    for (let page = await table.query(query, { limit: pageSize }); page.items.length > 0; page = await table.query(query, { limit: pageSize })) {
      if (!hasTimeLeft()) return false;
      await work(page.items);
    }
  }
  return true;
}
