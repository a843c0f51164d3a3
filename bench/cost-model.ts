import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultPrices, type PriceName, type Prices } from './aws-prices';
import type { BenchResults } from './bench-results';
import { fixed, table, thousands } from './report';
import { TRANSITIONS_PER_SEQUENCE_STEP, usageProfiles, WORKING_DAYS_PER_MONTH, type UsageProfile } from './usage-profiles';

/**
 * `npm run cost -- --users 25 --contacts 20000`: the monthly AWS bill of one CRM
 * deployment, for the idle, typical and heavy usage profiles, from what the last
 * `npm run bench` measured (per-route capacity units by DynamoDB's rules, handler
 * durations, bundle init times, bytes stored per contact) and the prices in
 * aws-prices.ts. docs/cost.md explains the model.
 */

const usage = `usage: npm run cost -- [--users N] [--contacts M] [--results file.json] [--prices file.json] [--price name=value]...
                     [--storage-factor F] [--log-bytes B]
prices: ${Object.keys(defaultPrices).join(', ')}`;

const { values: args } = parseArgs({
  options: {
    users: { type: 'string', default: '25' },
    contacts: { type: 'string', default: '20000' },
    results: { type: 'string', default: fileURLToPath(new URL('./results/latest.json', import.meta.url)) },
    prices: { type: 'string' },
    price: { type: 'string', multiple: true, default: [] },
    'storage-factor': { type: 'string', default: '2' },
    'log-bytes': { type: 'string', default: '1200' },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number >= 0, got "${text}"\n${usage}`);
  return value;
}

export interface Company {
  readonly users: number;
  readonly contacts: number;
  /** Bytes stored per contact times this: companies, deals, activities and timeline history on top of the contacts. */
  readonly storageFactor: number;
  /** CloudWatch Logs bytes per request: the API access log line and Lambda's START/END/REPORT lines (successful requests log nothing else). */
  readonly logBytesPerRequest: number;
}

interface Estimate {
  readonly requests: number;
  readonly automationSteps: number;
  readonly emails: number;
  readonly lambdaGbSeconds: number;
  readonly coldStarts: number;
  readonly initGbSeconds: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** Of writeUnits: what the stream consumers write after the request (search terms, list entries, report counters). */
  readonly consumerWriteUnits: number;
  readonly storedGb: number;
  readonly logGb: number;
  readonly usd: Readonly<Record<string, number>>;
}

const GB = 2 ** 30;

/**
 * Write units the stream consumers add to a route's change, as the last bench measured them
 * through the real consumers ("Record indexing", "Report keeping"); 0 for runs before those
 * sections. The bench's deal has an owner, a tag, a close date, a company and contacts: an
 * upper bound for the route's plainer deal. A contact's funnel counters are not measured.
 */
function consumerWriteUnitsOf(results: BenchResults, route: string): number {
  const indexing = results.searchIndexing;
  const keeping = results.reportKeeping;
  switch (route) {
    case 'create contact':
      return indexing?.indexWriteUnitsOnCreate ?? 0;
    case 'update contact':
      return indexing?.indexWriteUnitsOnPlainUpdate ?? 0;
    case 'create deal':
      return (indexing?.dealIndexWriteUnitsOnCreate ?? 0) + (keeping?.keeperWriteUnitsOnCreate ?? 0);
    case 'move deal stage':
      return (indexing?.dealIndexWriteUnitsOnStageMove ?? 0) + (keeping?.keeperWriteUnitsOnMove ?? 0);
    default:
      return 0;
  }
}
const USERS_PER_CONTAINER_HOUR = 25;

export function estimateMonth(results: BenchResults, prices: Prices, company: Company, profile: UsageProfile): Estimate {
  let requests = 0;
  let lambdaGbSeconds = 0;
  let readUnits = 0;
  let writeUnits = 0;
  let consumerWriteUnits = 0;
  let automationSteps = 0;
  /** Committed changes: each raises one event (a deal won, three; a read, none). */
  let changes = 0;
  const requestsByFunction = new Map<string, number>();
  const measured = (name: string) => {
    const route = results.apiOverhead.find((candidate) => candidate.name === name);
    if (!route) throw new Error(`${results.mode} results have no route "${name}": run npm run bench again.`);
    return route;
  };
  const invocations = [
    ...Object.entries(profile.requestsPerUserDay).map(([name, perUserDay]) => ({ name, perUserDay, viaApi: true })),
    ...Object.entries(profile.automationStepsPerUserDay).map(([name, perUserDay]) => ({ name, perUserDay, viaApi: false })),
  ];
  for (const { name, perUserDay, viaApi } of invocations) {
    const route = measured(name);
    const count = perUserDay * company.users * WORKING_DAYS_PER_MONTH;
    if (viaApi) requests += count;
    else automationSteps += count;
    // Lambda bills whole milliseconds; the mean through the local gateway is an upper bound of the handler's time.
    lambdaGbSeconds += count * (Math.ceil(route.route.mean) / 1000) * (route.memoryMb / 1024);
    readUnits += count * route.documented.read;
    writeUnits += count * route.documented.write;
    consumerWriteUnits += count * consumerWriteUnitsOf(results, name);
    if (route.documented.write > 0) changes += count;
    requestsByFunction.set(route.function, (requestsByFunction.get(route.function) ?? 0) + count);
  }

  // A container serves its function for a while after a request; each function needs about
  // one fresh container per active hour per USERS_PER_CONTAINER_HOUR users, never more than it has requests.
  let coldStarts = 0;
  let initGbSeconds = 0;
  for (const [name, functionRequests] of requestsByFunction) {
    const bundle = results.coldStart.find((measured) => measured.name === name);
    const memoryMb = results.apiOverhead.find((route) => route.function === name)!.memoryMb;
    const starts = Math.min(functionRequests, profile.activeHoursPerDay * Math.ceil(company.users / USERS_PER_CONTAINER_HOUR) * WORKING_DAYS_PER_MONTH);
    coldStarts += starts;
    initGbSeconds += starts * ((bundle?.importMs ?? 0) / 1000) * (memoryMb / 1024);
  }

  // Every sequence step and every "send email" request sends one email.
  const emails = automationSteps + (profile.requestsPerUserDay['send email'] ?? 0) * company.users * WORKING_DAYS_PER_MONTH;
  const storedGb = (company.contacts * results.storage.bytesPerContact * company.storageFactor) / GB;
  const logGb = ((requests + automationSteps) * company.logBytesPerRequest) / GB;
  // Every email also raises email.sent and email.delivered. Runs before the measurement existed count 1 KB, one billed event.
  const publishing = results.eventPublishing ?? { billedEventsPerChange: 1, meanEntryBytes: 1_024 };
  const events = changes + emails * 2;
  const usd = {
    'API Gateway HTTP API': (requests / 1e6) * prices.httpApiPerMillionRequests,
    'Lambda requests': ((requests + automationSteps) / 1e6) * prices.lambdaPerMillionRequests,
    'Lambda duration (arm64)': lambdaGbSeconds * prices.lambdaArmPerGbSecond,
    'Lambda INIT (cold starts)': initGbSeconds * prices.lambdaArmPerGbSecond,
    'DynamoDB reads': (readUnits / 1e6) * prices.dynamoDbPerMillionReadUnits,
    'DynamoDB writes': ((writeUnits + consumerWriteUnits) / 1e6) * prices.dynamoDbPerMillionWriteUnits,
    'DynamoDB storage': storedGb * prices.dynamoDbStoragePerGbMonth,
    'DynamoDB PITR backups': storedGb * prices.dynamoDbPitrPerGbMonth,
    // Kept 30 days (the stack's default retention), so about one month's ingestion is stored at any time.
    'CloudWatch Logs': logGb * (prices.cloudWatchLogsIngestionPerGb + prices.cloudWatchLogsStoragePerGbMonth),
    'SES emails': (emails / 1000) * prices.sesPerThousandEmails,
    'Step Functions transitions': ((automationSteps * TRANSITIONS_PER_SEQUENCE_STEP) / 1000) * prices.stepFunctionsPerThousandTransitions,
    'EventBridge events (and archive)': (events * publishing.billedEventsPerChange * prices.eventBridgePerMillionCustomEvents) / 1e6 + ((events * publishing.meanEntryBytes) / GB) * prices.eventBridgeArchivePerGb,
  };
  return { requests, automationSteps, emails, lambdaGbSeconds, coldStarts, initGbSeconds, readUnits, writeUnits: writeUnits + consumerWriteUnits, consumerWriteUnits, storedGb, logGb, usd };
}

/**
 * A workflow run of one task and one action (a task made for the record's owner), per
 * 1,000 runs. The step is measured ("workflow step": its Lambda time and DynamoDB units);
 * the trigger's part is modelled from its calls, not measured: one invocation per record
 * event of a type some workflow starts on, a Query of workflowsByTrigger (0.5 read unit,
 * eventually consistent), the run's conditional put (2 write units: a transaction of a
 * run item under 1 KB), a strong GetItem of it (1 read unit), StartExecution (free), its
 * Lambda time taken equal to the step's. Step Functions enters Wait, Run actions, Finished?
 * and Done: 4 transitions. The task raises one event (activity.created).
 */
export const TRANSITIONS_PER_ONE_TASK_RUN = 4;
const TRIGGER_UNITS = { read: 1.5, write: 2 };
export function costOfWorkflowRuns(results: BenchResults, prices: Prices, runs: number): Readonly<Record<string, number>> {
  const step = results.apiOverhead.find((candidate) => candidate.name === 'workflow step');
  if (!step) throw new Error(`${results.mode} results have no "workflow step": run npm run bench again.`);
  const gbSeconds = 2 * runs * (Math.ceil(step.route.mean) / 1000) * (step.memoryMb / 1024);
  const publishing = results.eventPublishing ?? { billedEventsPerChange: 1, meanEntryBytes: 1_024 };
  return {
    'Lambda requests (trigger and step)': ((2 * runs) / 1e6) * prices.lambdaPerMillionRequests,
    'Lambda duration (arm64)': gbSeconds * prices.lambdaArmPerGbSecond,
    'DynamoDB reads': ((runs * (step.documented.read + TRIGGER_UNITS.read)) / 1e6) * prices.dynamoDbPerMillionReadUnits,
    'DynamoDB writes': ((runs * (step.documented.write + TRIGGER_UNITS.write)) / 1e6) * prices.dynamoDbPerMillionWriteUnits,
    'Step Functions transitions': ((runs * TRANSITIONS_PER_ONE_TASK_RUN) / 1000) * prices.stepFunctionsPerThousandTransitions,
    'EventBridge events (the task)': (runs * publishing.billedEventsPerChange * prices.eventBridgePerMillionCustomEvents) / 1e6,
  };
}

/**
 * Webhook deliveries that succeed at the first attempt, per `deliveries`. Measured (bench
 * "Webhook deliveries"): the DynamoDB units of a delivery's fan-out and attempt. Modelled: one
 * fan-out invocation per delivered event (an event for one endpoint), 100 ms at 512 MB; the
 * delivery function in batches of up to 10 in parallel, taken as one 300 ms invocation per 5
 * deliveries (endpoints answering in ~250 ms); SQS: a send (batched by 10 per event's
 * endpoints, here 1), a receive per batch and a delete per message (Lambda deletes in
 * batches of up to 10): about 1.3 requests per delivery; one 300-byte log line per attempt.
 * A retry adds an attempt: its reads, its write, a ChangeMessageVisibility and a receive.
 */
export function costOfWebhookDeliveries(results: BenchResults, prices: Prices, deliveries: number): Readonly<Record<string, number>> {
  const measured = results.webhookDelivery;
  if (!measured) throw new Error(`${results.mode} results have no webhook deliveries: run npm run bench again.`);
  const gbSeconds = deliveries * 0.1 * 0.5 + (deliveries / 5) * 0.3 * 0.5;
  return {
    'Lambda requests (fan-out and delivery)': ((deliveries + deliveries / 5) / 1e6) * prices.lambdaPerMillionRequests,
    'Lambda duration (arm64)': gbSeconds * prices.lambdaArmPerGbSecond,
    'SQS requests': ((deliveries * 1.3) / 1e6) * prices.sqsPerMillionRequests,
    'DynamoDB reads': ((deliveries * measured.readUnits) / 1e6) * prices.dynamoDbPerMillionReadUnits,
    'DynamoDB writes': ((deliveries * measured.writeUnits) / 1e6) * prices.dynamoDbPerMillionWriteUnits,
    'CloudWatch Logs': ((deliveries * 300) / 2 ** 30) * (prices.cloudWatchLogsIngestionPerGb + prices.cloudWatchLogsStoragePerGbMonth),
  };
}

/**
 * Received messages, per `emails`, modelled from the inbound function's calls: SES receiving
 * (one message and one 256 KB chunk each, for mail under 256 KB), the S3 action's PUT and the
 * function's GET, 30 days of storage at 50 KB a message, one invocation of 400 ms at 1 GB
 * (parsing), and in DynamoDB: the sender's email guard and contact (2 strong reads), the
 * contact's deal links and deals (about 2 reads), the thread lookup (0.5), and the email
 * activity's transaction on contact, company and deal timelines with its change entry (about 7
 * items of 1 KB, written transactionally: 14 units, and their index entries: 6 more).
 */
export function costOfInboundEmails(prices: Prices, emails: number): Readonly<Record<string, number>> {
  return {
    'SES receiving (messages and chunks)': (emails / 1000) * (prices.sesInboundPerThousandEmails + prices.sesInboundPerThousandChunks),
    'S3 (PUT, GET, 30 days of storage)': (emails / 1000) * (prices.s3PerThousandPuts + prices.s3PerThousandGets) + ((emails * 50 * 1024) / 2 ** 30) * prices.s3StoragePerGbMonth,
    'Lambda (requests and duration)': (emails / 1e6) * prices.lambdaPerMillionRequests + emails * 0.4 * 1 * prices.lambdaArmPerGbSecond,
    'DynamoDB reads': ((emails * 4.5) / 1e6) * prices.dynamoDbPerMillionReadUnits,
    'DynamoDB writes': ((emails * 20) / 1e6) * prices.dynamoDbPerMillionWriteUnits,
    'EventBridge events (the activity)': (emails / 1e6) * prices.eventBridgePerMillionCustomEvents,
  };
}

async function loadPrices(): Promise<Prices> {
  const prices: Prices = { ...defaultPrices };
  const overrides: [string, unknown][] = [
    ...(args.prices ? Object.entries(JSON.parse(await readFile(args.prices, 'utf8')) as Record<string, unknown>) : []),
    ...args.price.map((pair): [string, string] => {
      const [name, value] = pair.split('=');
      return [name ?? '', value ?? ''];
    }),
  ];
  for (const [name, value] of overrides) {
    if (!(name in defaultPrices)) throw new Error(`Unknown price "${name}"\n${usage}`);
    prices[name as PriceName] = positive(`price ${name}`, String(value));
  }
  return prices;
}

async function main(): Promise<void> {
  if (args.help) return console.log(usage);
  const results = JSON.parse(await readFile(args.results, 'utf8').catch(() => {
    throw new Error(`No benchmark results at ${args.results}: run \`npm run bench\` first.`);
  })) as BenchResults;
  const prices = await loadPrices();
  const company: Company = {
    users: positive('users', args.users),
    contacts: positive('contacts', args.contacts),
    storageFactor: positive('storage-factor', args['storage-factor']),
    logBytesPerRequest: positive('log-bytes', args['log-bytes']),
  };
  const estimates = usageProfiles.map((profile) => estimateMonth(results, prices, company, profile));
  const header = ['', ...usageProfiles.map((profile) => profile.name)];
  const row = (label: string, pick: (estimate: Estimate) => string) => [label, ...estimates.map(pick)];

  console.log(`# Monthly AWS bill: ${thousands(company.users)} users, ${thousands(company.contacts)} contacts (us-east-1, USD)`);
  console.log(`From ${args.results} (${results.mode} run of ${results.startedAt}, Node ${results.machine.node}).`);
  console.log(
    table('Usage per month', header, [
      row('API requests', (e) => thousands(e.requests)),
      row('sequence steps (Step Functions)', (e) => thousands(e.automationSteps)),
      row('emails sent', (e) => thousands(e.emails)),
      row('Lambda GB-seconds', (e) => thousands(e.lambdaGbSeconds)),
      row('cold starts', (e) => thousands(e.coldStarts)),
      row('DynamoDB read units (millions)', (e) => fixed(e.readUnits / 1e6, 3)),
      row('DynamoDB write units (millions)', (e) => fixed(e.writeUnits / 1e6, 3)),
      row('  of which stream consumers (search, lists, reports)', (e) => fixed(e.consumerWriteUnits / 1e6, 3)),
      row('DynamoDB storage (GB)', (e) => fixed(e.storedGb, 3)),
      row('CloudWatch Logs (GB)', (e) => fixed(e.logGb, 3)),
    ], usageProfiles.map((profile) => `${profile.name}: ${profile.description}, ${fixed(Object.values(profile.requestsPerUserDay).reduce((a, b) => a + b, 0), 1)} requests per user per working day (${WORKING_DAYS_PER_MONTH} a month)`)),
  );
  const services = Object.keys(estimates[0]!.usd);
  const total = (estimate: Estimate) => Object.values(estimate.usd).reduce((sum, usd) => sum + usd, 0);
  console.log(
    table('Cost per month (USD)', header, [
      ...services.map((service) => row(service, (e) => fixed(e.usd[service], 4))),
      row('total', (e) => fixed(total(e), 2)),
      row('per user', (e) => fixed(total(e) / Math.max(1, company.users), 3)),
    ], [
      `storage: ${fixed(results.storage.bytesPerContact, 0)} bytes per contact as stored (items + 100 B overhead, table and every index), x${company.storageFactor} for the other records (--storage-factor)`,
      `logs: ${company.logBytesPerRequest} bytes per request (--log-bytes); free tiers not applied; DynamoDB Streams reads by Lambda consumers are free`,
      `sequence steps: ${TRANSITIONS_PER_SEQUENCE_STEP} state transitions each, their Lambda time and DynamoDB units as measured ("sequence step"); each step and each "send email" request sends one email`,
      'events: one per request that writes and two per email (sent, delivered), each billed per 64 KB chunk as measured (bench "Events published from the stream"), archived once; the publisher reads up to 100 changes per invocation, its Lambda time not counted',
      'not included: handling SES events (about one Lambda invocation, one read and one write per email; SES events on the default bus are free), alarms, dashboard and custom metrics (docs/cost.md)',
      `prices: ${Object.entries(prices).map(([name, value]) => `${name}=${value}`).join(', ')}`,
    ]),
  );
  const perThousandRuns = costOfWorkflowRuns(results, prices, 1_000);
  console.log(
    table('Cost per 1,000 workflow runs (USD)', ['', 'USD'], [...Object.entries(perThousandRuns).map(([item, usd]) => [item, fixed(usd, 5)]), ['total', fixed(Object.values(perThousandRuns).reduce((a, b) => a + b, 0), 4)]], [
      'a run of one task whose action makes a task for the owner: the step as measured ("workflow step"), the trigger modelled (cost-model.ts, costOfWorkflowRuns)',
      'each further action adds the writes its API request would make, and each wait one Lambda invocation and 3 transitions',
    ]),
  );
  const sum = (costs: Readonly<Record<string, number>>) => fixed(Object.values(costs).reduce((a, b) => a + b, 0), 4);
  if (results.webhookDelivery) {
    const deliveries = costOfWebhookDeliveries(results, prices, 100_000);
    console.log(
      table('Cost of 100,000 webhook deliveries a month (USD)', ['', 'USD'], [...Object.entries(deliveries).map(([item, usd]) => [item, fixed(usd, 5)]), ['total', sum(deliveries)]], [
        `DynamoDB units per delivery as measured (bench "Webhook deliveries": ${fixed(results.webhookDelivery.readUnits)} read, ${fixed(results.webhookDelivery.writeUnits)} write); Lambda and SQS modelled (cost-model.ts, costOfWebhookDeliveries)`,
        'every CRM event also invokes the fan-out once, with or without endpoints: about $0.5 per million events (one invocation, one Query)',
      ]),
    );
  }
  const inbound = costOfInboundEmails(prices, 10_000);
  console.log(
    table('Cost of 10,000 received emails a month (USD)', ['', 'USD'], [...Object.entries(inbound).map(([item, usd]) => [item, fixed(usd, 5)]), ['total', sum(inbound)]], [
      'modelled from the inbound function\'s calls (cost-model.ts, costOfInboundEmails); a message over 256 KB adds a SES chunk per 256 KB',
    ]),
  );
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exitCode = 1;
});
