import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { takeMeteredCalls, type MeteredCall } from '../adapters/dynamodb/capacity-meter';
import { functionsTriggeredBy, routeKeysOf } from '../functions/manifest';
import { documentedCapacity, reportedCapacity, unreadTargets, type CapacityUnits } from './capacity-rules';
import type { ApiResponse } from './bench-environment';
import { fixed, table, times } from './report';
import { planReplay, replay, waves } from './replay';
import type { Minimum, RouteScenario, ScenarioContext } from './route-scenarios';
import { mean, ratio, summarize, type Summary } from './stats';

/**
 * Each route through HTTP (local gateway, real handler, DynamoDB Local) next to the
 * exact DynamoDB calls it made, replayed raw right after it: same run, interleaved
 * request by request, so drift and warm-up hit both sides alike.
 */

export interface RouteMeasurement {
  readonly name: string;
  readonly routeKey: string;
  /** The Lambda serving the route and its memory, for the cost model. */
  readonly function: string;
  readonly memoryMb: number;
  readonly route: Summary;
  readonly raw: Summary;
  readonly ratioP50: number;
  readonly ratioP99: number;
  /** Per request, averaged: DynamoDB calls, HTTP attempts (retries included), sequential waves. */
  readonly calls: number;
  readonly roundTrips: number;
  readonly sequential: number;
  readonly minimum: Minimum;
  /** What DynamoDB Local reported (ConsumedCapacity), per request, averaged. */
  readonly localReported: { readonly read: number; readonly write: number };
  /** DynamoDB's documented rules applied to one request's items (capacity-rules.ts). */
  readonly documented: CapacityUnits;
}

export interface OverheadOptions {
  readonly warmup: number;
  readonly iterations: number;
}

export function functionServing(routeKey: string): { name: string; memoryMb: number } {
  const found = functionsTriggeredBy('http').find(([, declaration]) => routeKeysOf(declaration).includes(routeKey));
  if (!found) throw new Error(`No function serves ${routeKey} (functions/manifest.ts)`);
  return { name: found[0], memoryMb: found[1].memoryMb };
}

/** The documented capacity of one request: items it touched without reading are looked up (not metered) first. */
export async function documentedCapacityOf(context: ScenarioContext, calls: readonly MeteredCall[]): Promise<CapacityUnits> {
  const { env } = context;
  const lookedUp = await Promise.all(
    unreadTargets(calls).map(async (key) => (await env.documentClient.send(new GetCommand({ TableName: env.tableName, Key: key, ConsistentRead: true }))).Item),
  );
  takeMeteredCalls();
  return documentedCapacity(calls, lookedUp.filter((item): item is Record<string, unknown> => item !== undefined));
}

async function measureRoute(context: ScenarioContext, scenario: RouteScenario, { warmup, iterations }: OverheadOptions): Promise<RouteMeasurement> {
  const { env } = context;
  const prepared = await scenario.prepare(context, warmup + iterations);
  const routeMs: number[] = [];
  const rawMs: number[] = [];
  const perRequest: { calls: number; roundTrips: number; sequential: number; read: number; write: number }[] = [];
  let documented: CapacityUnits | undefined;

  for (let i = 0; i < warmup + iterations; i++) {
    const request = prepared.request(i);
    if (prepared.readsOnly) await env.api.call(request.method, request.path, request.body, request.status);
    takeMeteredCalls();
    const routeStart = performance.now();
    const response: ApiResponse = prepared.invoke ? await prepared.invoke(i) : await env.api.call(request.method, request.path, request.body, request.status);
    const routeTime = performance.now() - routeStart;
    const calls = takeMeteredCalls();

    const plan = planReplay(calls, prepared.rawSubstitutions(i, response));
    const rawStart = performance.now();
    await replay(env.client, plan).catch((error: unknown) => {
      throw new Error(`The raw replay of ${scenario.name} (request ${i}) failed`, { cause: error });
    });
    const rawTime = performance.now() - rawStart;
    takeMeteredCalls();

    if (i < warmup) continue;
    routeMs.push(routeTime);
    rawMs.push(rawTime);
    perRequest.push({
      calls: calls.length,
      roundTrips: calls.reduce((sum, call) => sum + call.attempts, 0),
      sequential: waves(calls).length,
      ...reportedCapacity(calls),
    });
    documented ??= await documentedCapacityOf(context, calls);
  }

  const route = summarize(routeMs);
  const raw = summarize(rawMs);
  const average = (pick: (entry: (typeof perRequest)[number]) => number) => mean(perRequest.map(pick));
  const fn = scenario.function ?? functionServing(scenario.routeKey);
  return {
    name: scenario.name,
    routeKey: scenario.routeKey,
    function: fn.name,
    memoryMb: fn.memoryMb,
    route,
    raw,
    ratioP50: ratio(route.p50, raw.p50),
    ratioP99: ratio(route.p99, raw.p99),
    calls: average((entry) => entry.calls),
    roundTrips: average((entry) => entry.roundTrips),
    sequential: average((entry) => entry.sequential),
    minimum: scenario.minimum,
    localReported: { read: average((entry) => entry.read), write: average((entry) => entry.write) },
    documented: documented!,
  };
}

export async function measureApiOverhead(context: ScenarioContext, scenarios: readonly RouteScenario[], options: OverheadOptions): Promise<RouteMeasurement[]> {
  const results: RouteMeasurement[] = [];
  for (const scenario of scenarios) results.push(await measureRoute(context, scenario, options));
  return results;
}

export function overheadTables(results: readonly RouteMeasurement[]): string {
  const latency = table(
    'API overhead: route through HTTP vs the same DynamoDB calls raw (ms)',
    ['route', 'n', 'route p50', 'route p99', 'raw p50', 'raw p99', 'route/raw p50', 'route/raw p99'],
    results.map((r) => [r.name, r.route.n, fixed(r.route.p50), fixed(r.route.p99), fixed(r.raw.p50), fixed(r.raw.p99), times(r.ratioP50), times(r.ratioP99)]),
    [
      'route: HTTP (node:http, keep-alive) → local gateway (JWT check: a token verified once is remembered until it expires; event mapping) → middy handler → DynamoDB Local → response, in one process. Of a get contact’s overhead (about 0.5 ms at the median), about 0.2 ms is the HTTP hop and 0.2 ms the emulated API Gateway, which in AWS are API Gateway’s; the handler adds about 0.1 ms.',
      'raw: the calls that very request made (capacity meter), sent again with the low-level client; parallel calls stay parallel; writes on fresh ids.',
      'send email and sequence step also wait for the local SES (one SendEmail), which the raw side does not; sequence step invokes the Task handler directly, as Step Functions does, without HTTP.',
    ],
  );
  const overMinimum = results.filter((r) => r.calls > r.minimum.calls + 1e-9 || r.sequential > r.minimum.sequential + 1e-9);
  const capacity = table(
    'Round trips and capacity per request',
    ['route', 'calls', 'waves', 'min calls', 'min waves', 'RCU local', 'WCU local', 'RCU rules', 'WCU rules', 'writes/checks/index'],
    results.map((r) => [
      r.name,
      fixed(r.calls, 1),
      fixed(r.sequential, 1),
      r.minimum.calls,
      r.minimum.sequential,
      fixed(r.localReported.read, 1),
      fixed(r.localReported.write, 1),
      fixed(r.documented.read, 1),
      fixed(r.documented.write, 1),
      `${r.documented.itemWrites}/${r.documented.conditionChecks}/${r.documented.indexWrites}`,
    ]),
    [
      'calls: DynamoDB requests per API request; waves: how many of them ran one after another (parallel calls share a wave).',
      'RCU/WCU local: ConsumedCapacity as DynamoDB Local reports it (ReturnConsumedCapacity=TOTAL, set by adapters/dynamodb/capacity-meter.ts).',
      'RCU/WCU rules: DynamoDB\'s documented rules applied to the items each call sent and received (bench/capacity-rules.ts); the cost model uses these.',
      'writes/checks/index: items a request writes, items its transaction only checks, and GSI entries written or deleted (a changed index key is a delete plus a put).',
      'DynamoDB Local charges transactional writes 4 units per KB (documented: 2), counts GSI writes of a transaction at that rate too, and charges nothing for a ConditionCheck: its WCU for transactions is not the bill.',
      ...results.map((r) => `minimum for ${r.name}: ${r.minimum.why}`),
      ...(overMinimum.length === 0
        ? ['every route makes the fewest calls its access pattern needs']
        : overMinimum.map((r) => `ABOVE MINIMUM: ${r.name} makes ${fixed(r.calls, 1)} calls in ${fixed(r.sequential, 1)} waves (minimum ${r.minimum.calls} in ${r.minimum.sequential})`)),
    ],
  );
  return `${latency}\n${capacity}`;
}
