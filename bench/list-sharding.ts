import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';
import { DynamoDbCrmTable } from '../adapters/dynamodb/dynamodb-crm-table';
import { contactModel } from '../domain/records/contact';
import { recordsByType } from '../domain/shared/keys';
import { itemToRecord, recordToItem } from '../domain/records/record-items';
import type { ListQuery } from '../domain/shared/key-design';
import { queryList, shardPageLimit } from '../domain/shared/pagination';
import { inLegacyLayout } from '../migrations/legacy-layout';
import type { BenchEnvironment } from './bench-environment';
import { documentedCapacity } from './capacity-rules';
import { batchWriteItems, contactRecordItem } from './contact-items';
import { fixed, table, times } from './report';
import { mean, ratio, summarize, type Summary } from './stats';

/**
 * What sharding costs a list page: the same page of contacts read from one partition (the
 * layout before migration 0002) and from the 8 shards (domain/shared/keys.ts), through the
 * same pagination code, on DynamoDB Local, interleaved. A sharded page is one wave of 8
 * Queries, each reading up to a whole page.
 */

export interface ListShardingRow {
  readonly limit: number;
  readonly layout: 'one partition' | 'sharded';
  readonly queries: number;
  /** Items asked for, all queries together. */
  readonly itemsRead: number;
  /** Items a page held, on average (a sharded page is short in about one of a thousand). */
  readonly meanPageSize: number;
  readonly latency: Summary;
  readonly rcuDocumented: number;
}

const CONTACTS = 2_000;

export async function measureListSharding(env: BenchEnvironment, { warmup, iterations }: { warmup: number; iterations: number }): Promise<ListShardingRow[]> {
  const tableAdapter = new DynamoDbCrmTable(env.documentClient, env.tableName);
  // The same contacts twice: under sharded keys, and as a copy under the old single key (their own table keys, so both exist at once).
  const sharded = await Promise.all(Array.from({ length: CONTACTS }, (_, n) => contactRecordItem(9_000_000 + n, 'shard')));
  const legacy = await inLegacyLayout(async () => sharded.map((item) => recordToItem(contactModel, { ...itemToRecord(item)!, id: `L${item.id as string}` })));
  await batchWriteItems(env.documentClient, env.tableName, [...sharded, ...legacy], 8);
  takeMeteredCalls();
  const onePartition: ListQuery = { ...recordsByType.query({ type: 'contact' }), partitionKeys: [legacy[0]!.gsi1pk as string] };
  delete (onePartition as { legacyPartitionKey?: string }).legacyPartitionKey;
  const shardedQuery: ListQuery = { ...recordsByType.query({ type: 'contact' }) };
  delete (shardedQuery as { legacyPartitionKey?: string }).legacyPartitionKey;

  const rows: ListShardingRow[] = [];
  for (const limit of [25, 100]) {
    const samples = { 'one partition': [] as number[], sharded: [] as number[] };
    const rcu = { 'one partition': [] as number[], sharded: [] as number[] };
    const pageSizes = { 'one partition': [] as number[], sharded: [] as number[] };
    for (let i = 0; i < warmup + iterations; i++) {
      for (const [layout, query] of [['one partition', onePartition], ['sharded', shardedQuery]] as const) {
        takeMeteredCalls();
        const start = performance.now();
        const page = await queryList(tableAdapter, query, { limit });
        const elapsed = performance.now() - start;
        const calls = takeMeteredCalls();
        if (page.items.length === 0) throw new Error(`${layout} page of ${limit} was empty`);
        pageSizes[layout].push(page.items.length);
        if (i < warmup) continue;
        samples[layout].push(elapsed);
        rcu[layout].push(documentedCapacity(calls).read);
      }
    }
    for (const layout of ['one partition', 'sharded'] as const) {
      const query = layout === 'sharded' ? shardedQuery : onePartition;
      rows.push({ limit, layout, queries: query.partitionKeys.length, itemsRead: shardPageLimit(limit, query.partitionKeys.length) * query.partitionKeys.length, meanPageSize: mean(pageSizes[layout]), latency: summarize(samples[layout]), rcuDocumented: mean(rcu[layout]) });
    }
  }
  return rows;
}

export function listShardingTable(rows: readonly ListShardingRow[]): string {
  const baseline = (row: ListShardingRow) => rows.find((candidate) => candidate.limit === row.limit && candidate.layout === 'one partition')!;
  return table(
    'List pages before and after sharding (contacts by type, DynamoDB Local, same pagination code)',
    ['page', 'layout', 'queries', 'items read', 'page size', 'p50 ms', 'p99 ms', 'RCU rules', 'p50 vs one partition', 'RCU vs one partition'],
    rows.map((row) => [
      `${row.limit} contacts`,
      row.layout,
      row.queries,
      row.itemsRead,
      fixed(row.meanPageSize, 1),
      fixed(row.latency.p50),
      fixed(row.latency.p99),
      fixed(row.rcuDocumented, 1),
      times(ratio(row.latency.p50, baseline(row).latency.p50)),
      times(ratio(row.rcuDocumented, baseline(row).rcuDocumented)),
    ]),
    [
      'Each shard is asked for its share of the page plus a margin (domain/shared/pagination.ts shardPageLimit), in one wave of parallel Queries; the merge keeps the newest `limit`.',
      'DynamoDB Local answers parallel Queries largely one after another; DynamoDB serves the shards from different partitions at once, so its latency is nearer the slowest single Query.',
      'RCU by the documented rules: an index Query costs 0.5 per 4 KB of what it read, at least 0.5, per shard.',
    ],
  );
}
