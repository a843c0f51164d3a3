import type { IndexName, KeyQuery, SortKeyCondition } from './table-port';

/**
 * The machinery behind keys.ts: an index is declared once, and that one declaration
 * gives both the attributes an item carries to be listed in it and the Query that lists
 * it, so the writer and the reader of a key cannot drift apart (as ElectroDB entities do).
 *
 * Write sharding: one partition key of an index takes about 1,000 writes per second, and
 * an index sorted by update time always writes at its "newest" end, where DynamoDB's
 * split-for-heat cannot help. A sharded index spreads each logical partition over N
 * partition keys, the shard picked from the item's id (so an update's delete and put land
 * in the same shard), and a list reads all N in one wave of parallel Queries, merged in
 * sort order (domain/shared/pagination.ts). The bench's partition-heat model picks N.
 */

/** Sorts after any ISO timestamp and any id, closing open-ended ranges. */
export const HIGHEST = '~';
const SEPARATOR = '#';

export const joinKey = (...segments: readonly string[]) => segments.join(SEPARATOR);

/** FNV-1a (32 bit): cheap, stable across runtimes, spreads ULIDs and hashes evenly. */
export function shardOf(id: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let index = 0; index < id.length; index++) {
    hash ^= id.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/**
 * A partition key with its shard as the second segment (`CONTACT#S3#OWNER#u-1`). Keys of
 * an unsharded index keep the plain form (`CONTACT#OWNER#u-1`), which is also the form
 * every index had before sharding. No sharded key can equal a plain one: a plain key's
 * second segment is never `S` and a number, whatever ids and values it holds.
 */
export function shardedPartitionKey(segments: readonly string[], shard: number, shards: number): string {
  if (shards <= 1) return joinKey(...segments);
  const [first, ...rest] = segments;
  return joinKey(first!, `S${shard}`, ...rest);
}

/** A list over one logical partition: every shard's partition key, read in one wave and merged. */
export interface ListQuery {
  readonly pattern: string;
  readonly index?: IndexName;
  /** In shard order; one for an unsharded partition. */
  readonly partitionKeys: readonly string[];
  /**
   * The partition key this list had before its index was sharded. Items written before the
   * shard migration (migrations/) stay there until it moves them, and lists read it too
   * while that migration is pending.
   */
  readonly legacyPartitionKey?: string;
  readonly sortKey?: SortKeyCondition;
  /** Newest first unless set. */
  readonly ascending?: boolean;
  /**
   * Over how many of the partitions one page's items are expected to spread (default: all).
   * A list merged from several lists (search, over record types) may find a page in one of
   * them alone: each partition is then asked for a page's share of that list's shards.
   */
  readonly pageSpreadsOver?: number;
  /**
   * The table keys of the item at a place in an index partition, when its index sort key says
   * them: a cursor then keeps the sort key alone (search terms would otherwise repeat the term
   * three times per partition, and a cursor over 24 partitions would outgrow its limit).
   */
  readonly tableKeysAt?: (partitionKey: string, sortValue: string) => { readonly pk: string; readonly sk: string };
}

export const singlePartition = (query: KeyQuery): ListQuery => ({
  pattern: query.pattern,
  ...(query.index ? { index: query.index } : {}),
  partitionKeys: [query.partitionKey],
  ...(query.sortKey ? { sortKey: query.sortKey } : {}),
  ...(query.ascending ? { ascending: true } : {}),
});

export interface IndexSpec<P, S, R> {
  /** The access pattern's name, as docs/data-model.md lists it. */
  readonly pattern: string;
  readonly index: IndexName;
  /** The logical partition, as segments; the first names what is listed. */
  partition(params: P): readonly string[];
  /** Shards of this partition (1 when it needs none). */
  readonly shards: number | ((params: P) => number);
  sort(params: S): string;
  /** What picks the shard: the item's id, stable for its life. */
  shardBy(params: S): string;
  /** The sort key range a list may ask for; none lists the whole partition. */
  range?(options: R): SortKeyCondition | undefined;
  /** Lists read oldest (or lowest) first; the default is newest first. */
  readonly ascending?: boolean;
  /** The table keys of the item listed at a place (ListQuery.tableKeysAt), when its sort key says them. */
  readonly tableKeysAt?: (partitionKey: string, sortValue: string) => { readonly pk: string; readonly sk: string };
}

export interface IndexDeclaration<P, S, R> {
  readonly pattern: string;
  readonly index: IndexName;
  /** The `<index>pk`/`<index>sk` attributes an item carries to be listed under `partition`. */
  attributes(partition: P, sort: S): Record<string, string>;
  /** The list of `partition`, across its shards. */
  query(partition: P, options?: R): ListQuery;
  /** How many shards `partition` is spread over. */
  shardCount(partition: P): number;
}

export function defineIndex<P, S, R = never>(spec: IndexSpec<P, S, R>): IndexDeclaration<P, S, R> {
  const shardCount = (params: P) => (typeof spec.shards === 'number' ? spec.shards : spec.shards(params));
  return {
    pattern: spec.pattern,
    index: spec.index,
    shardCount,
    attributes(partition, sort) {
      const shards = shardCount(partition);
      return {
        [`${spec.index}pk`]: shardedPartitionKey(spec.partition(partition), shardOf(spec.shardBy(sort), shards), shards),
        [`${spec.index}sk`]: spec.sort(sort),
      };
    },
    query(partition, options) {
      const segments = spec.partition(partition);
      const shards = shardCount(partition);
      const sortKey = options !== undefined ? spec.range?.(options) : undefined;
      return {
        pattern: spec.pattern,
        index: spec.index,
        partitionKeys: Array.from({ length: shards }, (_, shard) => shardedPartitionKey(segments, shard, shards)),
        ...(shards > 1 ? { legacyPartitionKey: joinKey(...segments) } : {}),
        ...(sortKey ? { sortKey } : {}),
        ...(spec.ascending ? { ascending: true } : {}),
        ...(spec.tableKeysAt ? { tableKeysAt: spec.tableKeysAt } : {}),
      };
    },
  };
}

/** `prefix` then anything: one group of a partition sorted by a composite key. */
export const beginsWith = (prefix: string): SortKeyCondition => ({ kind: 'beginsWith', prefix });

/**
 * Items of a sort key `<prefix><value>#…` whose value lies from `from` to `to` (inclusive),
 * either end open; none when both are (the caller lists the whole group). Values here start
 * with a digit or a hex digit (times, dates, order-preserving numbers), so `0` opens the low end.
 */
export const between = (prefix: string, from: string | undefined, to: string | undefined): SortKeyCondition | undefined =>
  from === undefined && to === undefined ? undefined : { kind: 'between', from: `${prefix}${from ?? '0'}`, to: `${prefix}${to ?? ''}${HIGHEST}` };

/**
 * Each partition of a list as its own Query, legacy one included: for work that must
 * visit every item (a delete's sweep, a migration), not for pages.
 */
export function partitionQueries(list: ListQuery): KeyQuery[] {
  return [...list.partitionKeys, ...(list.legacyPartitionKey ? [list.legacyPartitionKey] : [])].map((partitionKey) => ({
    pattern: list.pattern,
    ...(list.index ? { index: list.index } : {}),
    partitionKey,
    ...(list.sortKey ? { sortKey: list.sortKey } : {}),
    ...(list.ascending ? { ascending: true } : {}),
  }));
}

/**
 * A number as text that sorts like the number (16 hex digits of its IEEE 754 bits, sign bit
 * flipped, all bits flipped for negatives), so a sort key orders amounts and scores: `10`
 * after `9`, `-2` before `-1`.
 */
export function orderedNumber(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value);
  const negative = value < 0;
  const high = negative ? ~view.getUint32(0) >>> 0 : (view.getUint32(0) | 0x80000000) >>> 0;
  const low = negative ? ~view.getUint32(4) >>> 0 : view.getUint32(4);
  return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
}
