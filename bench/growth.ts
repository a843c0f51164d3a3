import { takeMeteredCalls } from '../adapters/dynamodb/capacity-meter';
import { documentedCapacityOf } from './api-overhead';
import type { BenchEnvironment } from './bench-environment';
import { reportedCapacity } from './capacity-rules';
import { itemToRecord } from '../domain/records/record-items';
import type { CrmRecord } from '../domain/records/record-model';
import { advanceHistory, parseCounterId, shareOf } from '../domain/reports/report-shares';
import { reportCounterKey } from '../domain/shared/keys';
import type { Item } from '../domain/shared/table-port';
import { searchTermItemsOf } from '../domain/search/search-index';
import { contactModel } from '../domain/records/contact';
import { listEntriesOf } from '../domain/records/list-views';
import { batchWriteItems, contactRecordItem } from './contact-items';
import { fixed, table, thousands, times } from './report';
import type { RouteScenario, ScenarioContext } from './route-scenarios';
import { mean, ratio, summarize, type Summary } from './stats';

/**
 * The read routes at growing table sizes. Every list is one Query page of a named
 * access pattern and every read is by key, so a page should cost the same (capacity,
 * items, latency) whatever the table holds; a Scan or a filter expression would not.
 */

export interface GrowthRoute {
  readonly name: string;
  readonly latency: Summary;
  readonly calls: number;
  /** Items in the response page (what the client got). */
  readonly items: number;
  readonly rcuLocal: number;
  readonly rcuDocumented: number;
}

export interface GrowthPoint {
  readonly contacts: number;
  /** Seconds the raw load up to this size took (BatchWriteItem, not timed as part of any route). */
  readonly loadSeconds: number;
  readonly routes: readonly GrowthRoute[];
}

const LOAD_CONCURRENCY = 8;

/** The report counters of every contact loaded so far (the keeper's sums), rewritten whole at each size. */
const reportCounters = new Map<string, Item>();
function addShare(contact: CrmRecord): void {
  for (const [id, values] of Object.entries(shareOf('contact', contact, advanceHistory({}, 'contact', contact, contact.createdAt)))) {
    const { report, scope, bucket } = parseCounterId(id);
    const key = reportCounterKey(report, scope, bucket, contact.id);
    const counter = reportCounters.get(`${key.pk} ${key.sk}`) ?? { ...key };
    for (const [name, amount] of Object.entries(values)) counter[name] = Number(counter[name] ?? 0) + amount;
    reportCounters.set(`${key.pk} ${key.sk}`, counter);
  }
}

/** Loads contacts numbered [from, to) as record items and returns their ids. */
async function loadContacts(env: BenchEnvironment, from: number, to: number): Promise<string[]> {
  const items = await Promise.all(Array.from({ length: to - from }, (_, offset) => contactRecordItem(from + offset)));
  // With the search terms and list entries the indexer would write for each, and the report counters as the keeper would have them.
  const records = items.map((item) => itemToRecord(item)!);
  const derived = records.flatMap((record) => [...searchTermItemsOf('contact', record), ...listEntriesOf('contact', contactModel.lists, record)]);
  for (const record of records) addShare(record);
  await batchWriteItems(env.documentClient, env.tableName, [...items, ...derived, ...reportCounters.values()], LOAD_CONCURRENCY);
  takeMeteredCalls();
  return items.map((item) => item.id as string);
}

async function measureRead(context: ScenarioContext, scenario: RouteScenario, warmup: number, iterations: number): Promise<GrowthRoute> {
  const prepared = await scenario.prepare(context, warmup + iterations);
  const latencies: number[] = [];
  const calls: number[] = [];
  const items: number[] = [];
  const rcu: number[] = [];
  let rcuDocumented = Number.NaN;
  for (let i = 0; i < warmup + iterations; i++) {
    const request = prepared.request(i);
    takeMeteredCalls();
    const start = performance.now();
    const { body } = await context.env.api.call(request.method, request.path, request.body, request.status);
    const elapsed = performance.now() - start;
    const metered = takeMeteredCalls();
    if (i < warmup) continue;
    latencies.push(elapsed);
    calls.push(metered.length);
    items.push(Array.isArray(body.items) ? body.items.length : 1);
    rcu.push(reportedCapacity(metered).read);
    if (Number.isNaN(rcuDocumented)) rcuDocumented = (await documentedCapacityOf(context, metered)).read;
  }
  return { name: scenario.name, latency: summarize(latencies), calls: mean(calls), items: mean(items), rcuLocal: mean(rcu), rcuDocumented };
}

export interface GrowthOptions {
  readonly sizes: readonly number[];
  /** Seconds of unmeasured reads before the first size (see warmUp), then unmeasured requests before each route. */
  readonly warmupSeconds: number;
  readonly warmup: number;
  readonly iterations: number;
}

/**
 * Sends the scenarios' reads, unmeasured, until `seconds` have passed. The JITs of
 * the handlers and of DynamoDB Local (Java) need thousands of requests; the smallest
 * size would otherwise be measured cold and every later size would look faster.
 * Reads leave the table as it is, so the first size keeps its count.
 */
async function warmUp(context: ScenarioContext, scenarios: readonly RouteScenario[], seconds: number): Promise<void> {
  const prepared = await Promise.all(scenarios.map((scenario) => scenario.prepare(context, 1)));
  const until = performance.now() + seconds * 1000;
  for (let i = 0; performance.now() < until; i++) {
    const request = prepared[i % prepared.length]!.request(i);
    await context.env.api.call(request.method, request.path, request.body, request.status);
  }
  takeMeteredCalls();
}

/**
 * Grows the table to each size in turn (contacts numbered from 0, so each step adds
 * only the difference) and measures every scenario there. Returns the points and the
 * ids of every loaded contact, for the sections that run after it.
 */
export async function measureGrowth(
  env: BenchEnvironment,
  timelineContactId: string,
  scenarios: readonly RouteScenario[],
  { sizes, warmupSeconds, warmup, iterations }: GrowthOptions,
): Promise<{ points: GrowthPoint[]; contactIds: string[] }> {
  const contactIds: string[] = [];
  const points: GrowthPoint[] = [];
  for (const [step, size] of sizes.entries()) {
    const loadStart = performance.now();
    contactIds.push(...(await loadContacts(env, contactIds.length, size)));
    const loadSeconds = (performance.now() - loadStart) / 1000;
    const context: ScenarioContext = { env, contactIds, timelineContactId };
    const routes: GrowthRoute[] = [];
    if (step === 0) await warmUp(context, scenarios, warmupSeconds);
    for (const scenario of scenarios) routes.push(await measureRead(context, scenario, warmup, iterations));
    points.push({ contacts: size, loadSeconds, routes });
  }
  return { points, contactIds };
}

export function growthTable(points: readonly GrowthPoint[]): string {
  const base = points[0]!;
  const rows = points.flatMap((point) =>
    point.routes.map((route) => {
      const first = base.routes.find((candidate) => candidate.name === route.name)!;
      return [
        route.name,
        thousands(point.contacts),
        fixed(route.latency.p50),
        fixed(route.latency.p99),
        fixed(route.calls, 1),
        fixed(route.items, 1),
        fixed(route.rcuLocal, 1),
        fixed(route.rcuDocumented, 1),
        times(ratio(route.latency.p50, first.latency.p50)),
        times(ratio(route.rcuDocumented, first.rcuDocumented)),
      ];
    }),
  );
  return table(
    `Growth: the same read routes at ${points.map((point) => thousands(point.contacts)).join(' / ')} contacts (ms)`,
    ['route', 'contacts', 'p50', 'p99', 'calls', 'items', 'RCU local', 'RCU rules', `p50 vs ${thousands(base.contacts)}`, `RCU vs ${thousands(base.contacts)}`],
    rows,
    [
      'Contacts loaded raw (BatchWriteItem) as the record items the API writes (recordToItem with contactModel): same keys, same index keys.',
      `Load time: ${points.map((point) => `${thousands(point.contacts)} in ${fixed(point.loadSeconds, 1)} s`).join(', ')} (cumulative steps).`,
      'A page costs the same at every size when calls, items and RCU stay put; latency ratios near 1x say DynamoDB Local agrees.',
    ],
  );
}
