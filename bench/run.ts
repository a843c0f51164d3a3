import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { measureApiOverhead, overheadTables } from './api-overhead';
import { startBenchEnvironment } from './bench-environment';
import type { BenchResults } from './bench-results';
import { bulkTable, measureBulk } from './bulk';
import { exportsTable, measureExports } from './exports';
import { importsTable, measureImports } from './imports';
import { storedBytes } from './capacity-rules';
import { coldStartTable, measureColdStarts } from './cold-start';
import { contactWriteItems } from './contact-items';
import { createTimelineContact } from './fixtures';
import { growthTable, measureGrowth } from './growth';
import { sequenceStep, workflowStep } from './automation-scenarios';
import { apiScenarios, growthScenarios } from './route-scenarios';
import { filterStderr } from './stderr-filter';
import { heatParametersFrom } from './heat';
import { listShardingTable, measureListSharding } from './list-sharding';
import { measurePartitionHeat, partitionHeatTable } from './partition-heat';
import { eventPublishingTable, measureEventPublishing } from './event-publishing';
import { measureWebhookDelivery, webhookDeliveryTable } from './webhook-delivery';
import { measureSearchIndexing, searchIndexingTable } from './search-indexing';
import { measureReportKeeping, reportKeepingTable } from './report-keeping';

/**
 * `npm run bench`: how fast and how costly the API is, as ratios against baselines
 * measured in the same run (raw DynamoDB calls, raw BatchWriteItem, a minimal
 * bundle), so results compare across machines. `BENCH_QUICK=1` runs a smaller set.
 * Tables go to stdout, everything to bench/results/<timestamp>.json and latest.json
 * (the input of `npm run cost`).
 */

const quick = process.env.BENCH_QUICK === '1';
const settings = quick
  ? { coldStartRuns: 5, growthSizes: [1_000, 10_000], growthWarmupSeconds: 4, growthWarmup: 5, growthIterations: 40, apiWarmup: 10, apiIterations: 60, bulkContacts: 1_000, bulkClients: 4, exportSizes: [2_000, 8_000], importSizes: [2_000, 8_000], eventChanges: 2_000, webhookDeliveries: 500, searchLagSamples: 10 }
  : { coldStartRuns: 15, growthSizes: [1_000, 10_000, 100_000], growthWarmupSeconds: 10, growthWarmup: 20, growthIterations: 200, apiWarmup: 30, apiIterations: 300, bulkContacts: 5_000, bulkClients: 4, exportSizes: [5_000, 20_000], importSizes: [10_000, 100_000], eventChanges: 10_000, webhookDeliveries: 2_000, searchLagSamples: 50 };

/**
 * Powertools Metrics prints this on every request today: logMetrics flushes an
 * instance that only ever receives single metrics. Counted and reported, not shown.
 */
const EMPTY_METRICS_WARNING = 'No application metrics to publish';

const startedAt = new Date();
const machine = {
  node: process.versions.node,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  platform: `${process.platform}-${process.arch}`,
};
console.log(`# CRM benchmarks (${quick ? 'quick' : 'full'}), ${startedAt.toISOString()}`);
console.log(`Node ${machine.node}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGb} GB, ${machine.platform}`);
if (!machine.node.startsWith('24.')) console.warn('! Not Node 24 (the Lambda runtime): run through `npm run bench` so node_modules/.bin/node is used.');

// The partition-heat model needs no DynamoDB; its workload's parameters are flags (npm run bench -- --import-owners 20).
const partitionHeat = await measurePartitionHeat(heatParametersFrom(process.argv.slice(2)));
console.log(partitionHeatTable(partitionHeat));

// Before Java runs: the cold-start processes get the machine to themselves.
const coldStart = await measureColdStarts({ runs: settings.coldStartRuns });
console.log(coldStartTable(coldStart, settings.coldStartRuns));

// The publisher needs no table either: it reads stream records and puts events.
const eventPublishing = await measureEventPublishing({ changes: settings.eventChanges });
console.log(eventPublishingTable(eventPublishing));

const env = await startBenchEnvironment();
const emptyMetricsWarning = filterStderr(EMPTY_METRICS_WARNING);
let results: BenchResults;
try {
  const timelineContactId = await createTimelineContact(env.api);
  // Before the growth section loads its contacts: the indexer's stream poller reads the stream from its start.
  const searchIndexing = await measureSearchIndexing(env, { lagSamples: settings.searchLagSamples });
  console.log(searchIndexingTable(searchIndexing));
  const reportKeeping = await measureReportKeeping(env, { lagSamples: settings.searchLagSamples });
  console.log(reportKeepingTable(reportKeeping));
  const { points: growth, contactIds } = await measureGrowth(env, timelineContactId, growthScenarios, {
    sizes: settings.growthSizes,
    warmupSeconds: settings.growthWarmupSeconds,
    warmup: settings.growthWarmup,
    iterations: settings.growthIterations,
  });
  console.log(growthTable(growth));

  const apiOverhead = await measureApiOverhead({ env, contactIds, timelineContactId }, [...apiScenarios, sequenceStep, workflowStep], { warmup: settings.apiWarmup, iterations: settings.apiIterations });
  console.log(overheadTables(apiOverhead));

  const bulk = await measureBulk(env, { contacts: settings.bulkContacts, clients: settings.bulkClients });
  console.log(bulkTable(bulk));

  const exports = await measureExports(env, { sizes: settings.exportSizes });
  console.log(exportsTable(exports));

  const imports = await measureImports(env, { sizes: settings.importSizes, rawConcurrency: settings.bulkClients });
  console.log(importsTable(imports));

  const listSharding = await measureListSharding(env, { warmup: settings.apiWarmup, iterations: settings.apiIterations });
  console.log(listShardingTable(listSharding));

  const webhookDelivery = await measureWebhookDelivery({ deliveries: settings.webhookDeliveries, concurrency: 16 });
  console.log(webhookDeliveryTable(webhookDelivery));

  const bytesPerContact = (await contactWriteItems(0)).reduce((sum, item) => sum + storedBytes(item), 0);
  const emptyMetricsWarnings = { printed: emptyMetricsWarning.dropped(), requests: env.api.requestsSent() };
  if (emptyMetricsWarnings.printed > 0) {
    console.log(
      `\nNote: the handlers printed Powertools Metrics' "${EMPTY_METRICS_WARNING}…" warning ${emptyMetricsWarnings.printed} times for ${emptyMetricsWarnings.requests} API requests (hidden above). In Lambda every one is a CloudWatch Logs line.`,
    );
  }
  results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    mode: quick ? 'quick' : 'full',
    machine,
    settings,
    coldStart,
    growth,
    apiOverhead,
    bulk,
    exports,
    imports,
    listSharding,
    partitionHeat,
    eventPublishing,
    webhookDelivery,
    searchIndexing,
    reportKeeping,
    storage: { bytesPerContact },
    emptyMetricsWarnings,
  };
} finally {
  emptyMetricsWarning.restore();
  await env.stop();
}

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
await mkdir(resultsDir, { recursive: true });
const json = `${JSON.stringify(results, null, 2)}\n`;
const file = `${resultsDir}${startedAt.toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(file, json);
await writeFile(`${resultsDir}latest.json`, json);
console.log(`\nResults: ${file} (and bench/results/latest.json); estimate the bill with \`npm run cost\`. Took ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s.`);
