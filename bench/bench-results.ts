import type { RouteMeasurement } from './api-overhead';
import type { BulkResult } from './bulk';
import type { BundleMeasurement } from './cold-start';
import type { EventPublishingResult } from './event-publishing';
import type { ExportBench } from './exports';
import type { ImportBench } from './imports';
import type { GrowthPoint } from './growth';
import type { ListShardingRow } from './list-sharding';
import type { HeatModel } from './partition-heat';
import type { ReportKeeping } from './report-keeping';
import type { SearchIndexing } from './search-indexing';
import type { WebhookDeliveryResult } from './webhook-delivery';

/** What `npm run bench` writes to bench/results/*.json, and `npm run cost` reads back. */
export interface BenchResults {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly mode: 'quick' | 'full';
  readonly machine: { readonly node: string; readonly cpus: number; readonly cpuModel: string; readonly memoryGb: number; readonly platform: string };
  /** Iterations, sizes and runs the sections used. */
  readonly settings: Readonly<Record<string, number | readonly number[]>>;
  readonly coldStart: readonly BundleMeasurement[];
  readonly growth: readonly GrowthPoint[];
  readonly apiOverhead: readonly RouteMeasurement[];
  readonly bulk: BulkResult;
  /** Export rows per second against raw BatchGetItem, and peak heap at two sizes. Absent from runs before it existed. */
  readonly exports?: ExportBench;
  /** Import rows per second against raw BatchWriteItem, write units per row, and peak heap at two file sizes. Absent from runs before it existed. */
  readonly imports?: ImportBench;
  /** A list page from one partition and from its shards, same code, same run. */
  readonly listSharding: readonly ListShardingRow[];
  /** The partition-heat model: per workload, the hottest partition key of the table and of each index. */
  readonly partitionHeat: HeatModel;
  /** Events published per second from stream batches, against raw PutEvents; the billed events per change. Absent from runs before it existed. */
  readonly eventPublishing?: EventPublishingResult;
  /** Webhook deliveries per second and their added latency, against plain POSTs; units per delivery. Absent from runs before it existed. */
  readonly webhookDelivery?: WebhookDeliveryResult;
  /** Write units the search indexer adds per contact, and the lag from a write to its first hit. Absent from runs before it existed. */
  readonly searchIndexing?: SearchIndexing;
  /** Write units the report keeper adds per deal, and the lag from a write to the report. Absent from runs before it existed. */
  readonly reportKeeping?: ReportKeeping;
  /** What one contact occupies once created: its items, each with DynamoDB's 100 bytes overhead, in the table and every GSI it is in. */
  readonly storage: { readonly bytesPerContact: number };
  /** Powertools Metrics' "no application metrics" warning: how often the handlers printed it, for how many API requests. */
  readonly emptyMetricsWarnings: { readonly printed: number; readonly requests: number };
}
