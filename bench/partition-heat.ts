import { ulid } from 'ulid';
import { DEFAULT_PIPELINE_ID } from '../domain/pipelines/pipeline';
import { createPropertyDefinition } from '../domain/properties/property-use-cases';
import { activityModel } from '../domain/records/activity';
import { batchWriteRecords } from '../domain/records/batch-write-records';
import { contactModel } from '../domain/records/contact';
import { createRecord } from '../domain/records/create-record';
import { dealModel } from '../domain/records/deal';
import { getRecord } from '../domain/records/get-record';
import { listRecords } from '../domain/records/list-records';
import { recordDependenciesOf, type RecordDependencies } from '../domain/records/record-dependencies';
import { noteSignedInUser } from '../domain/owners/owners';
import type { CrmRecord } from '../domain/records/record-model';
import { recordChangeBetween } from '../domain/records/record-change';
import { recordTimeline } from '../domain/records/record-timeline';
import { indexRecordChanges } from '../domain/records/record-index';
import { updateRecord } from '../domain/records/update-record';
import type { Actor } from '../domain/shared/actor';
import { listShards } from '../domain/shared/keys';
import { inLegacyLayout } from '../migrations/legacy-layout';
import { itemSize } from './capacity-rules';
import { contactInput, OWNERS } from './contact-items';
import { CapacityLedgerTable, type PartitionLoad, type PartitionSpace } from './heat/capacity-ledger-table';
import { fixed, table, thousands } from './report';
import { usageProfiles } from './usage-profiles';

/**
 * The partition-heat model: synthetic workloads run through the real use cases (the very
 * keys, index attributes, conditions and item sizes the API writes) against a ledger that
 * charges each call to the partition keys it touches by DynamoDB's documented rules
 * (heat/capacity-ledger-table.ts). A sample of each workload is run and scaled to its rate;
 * the hottest partition key of the table and of each index is set against DynamoDB's
 * per-partition limits. DynamoDB Local never throttles: this is how the limits are seen.
 */

/** One partition key serves at most this much per second (DynamoDB Developer Guide, "Partitions and data distribution"). */
export const PARTITION_WCU_LIMIT = 1_000;
export const PARTITION_RCU_LIMIT = 3_000;
/** What the model keeps every partition key under, so a burst or an uneven shard still fits. */
export const HEAT_TARGET = 0.8;

export interface HeatParameters {
  /** Rows per second of a contact import (POST /v1/contacts/batch, 100 per call, one machine client). */
  readonly importRowsPerSecond: number;
  /** How many owners the imported rows are assigned to (1: all to one person). */
  readonly importOwners: number;
  /** Custom properties set on every imported row. */
  readonly importProperties: number;
  /** Contact updates per second, spread uniformly over `updateContacts`, made by `updateActors` callers. */
  readonly updatesPerSecond: number;
  readonly updateContacts: number;
  readonly updateActors: number;
  /** Deals per second of a deal import (POST /v1/deals/batch) into one stage of the default pipeline, by one machine client. */
  readonly dealImportRowsPerSecond: number;
  /** Users of the everyday profile (bench/usage-profiles.ts), at `peakFactor` times their average rate over an 8-hour day. */
  readonly users: number;
  readonly profile: string;
  readonly peakFactor: number;
}

export const defaultHeatParameters: HeatParameters = {
  importRowsPerSecond: 5_000,
  importOwners: 1,
  importProperties: 3,
  updatesPerSecond: 500,
  updateContacts: 100_000,
  updateActors: 1,
  dealImportRowsPerSecond: 250,
  users: 50,
  profile: 'heavy',
  peakFactor: 3,
};

export interface HotPartition {
  readonly space: PartitionSpace;
  readonly partitionKey: string;
  readonly wcuPerSecond: number;
  readonly rcuPerSecond: number;
  /** The larger of its share of the write and of the read limit. */
  readonly shareOfLimit: number;
  /** Partition keys of this space the workload touched in its sample. */
  readonly partitionsTouched: number;
}

export interface WorkloadHeat {
  readonly workload: string;
  readonly description: string;
  readonly layout: 'unsharded' | 'sharded';
  /** Per table and index, its hottest partition key. */
  readonly hottest: readonly HotPartition[];
}

export interface HeatModel {
  readonly parameters: HeatParameters;
  readonly shards: typeof listShards;
  /** Bytes of the items a contact create writes, as the API writes them. */
  readonly itemBytes: Readonly<Record<string, number>>;
  readonly workloads: readonly WorkloadHeat[];
}

const spaces: readonly PartitionSpace[] = ['table', 'gsi1', 'gsi2', 'gsi3', 'gsi4'];

/** Loads per partition key, per second: the sample's charges times rate over sample size. */
type Rates = Map<string, PartitionLoad>;

function scaled(loads: readonly PartitionLoad[], factor: number): Rates {
  return new Map(loads.map((load) => [`${load.space}\u0000${load.partitionKey}`, { ...load, wcu: load.wcu * factor, rcu: load.rcu * factor }]));
}

function combine(all: readonly Rates[]): Rates {
  const total: Rates = new Map();
  for (const rates of all) {
    for (const [id, load] of rates) {
      const sum = total.get(id) ?? { ...load, wcu: 0, rcu: 0 };
      sum.wcu += load.wcu;
      sum.rcu += load.rcu;
      total.set(id, sum);
    }
  }
  return total;
}

function hottest(rates: Rates): HotPartition[] {
  return spaces.flatMap((space) => {
    const loads = [...rates.values()].filter((load) => load.space === space);
    const share = (load: PartitionLoad) => Math.max(load.wcu / PARTITION_WCU_LIMIT, load.rcu / PARTITION_RCU_LIMIT);
    const top = loads.sort((a, b) => share(b) - share(a))[0];
    return top ? [{ space, partitionKey: top.partitionKey, wcuPerSecond: top.wcu, rcuPerSecond: top.rcu, shareOfLimit: share(top), partitionsTouched: loads.length }] : [];
  });
}

/** A clock that moves a millisecond per reading, so simulated writes have distinct, ordered times. */
function simulatedTime() {
  let now = Date.parse('2026-06-01T09:00:00.000Z');
  return { now: () => new Date((now += 1)), sleep: async () => undefined };
}

function dependencies(ledger: CapacityLedgerTable): RecordDependencies {
  const clock = simulatedTime();
  return recordDependenciesOf({ table: ledger, clock, ids: { next: () => ulid(clock.now().getTime()) }, layout: { readsLegacyPartitions: async () => false } });
}

const admin: Actor = { type: 'user', id: 'admin-1', role: 'admin' };
const propertyNames = (count: number) => Array.from({ length: count }, (_, index) => `import_field_${index + 1}`);

async function defineProperties(deps: RecordDependencies, count: number): Promise<void> {
  for (const name of propertyNames(count)) await createPropertyDefinition(deps, 'contacts', { name, label: name, type: 'string' }, admin);
}

/** A workload: prepares its fixtures (free), then runs its sample while the ledger records; `perSecond` scales the sample. */
interface Workload {
  readonly name: string;
  describe(parameters: HeatParameters): string;
  run(parameters: HeatParameters, deps: RecordDependencies, ledger: CapacityLedgerTable): Promise<Rates>;
}

const IMPORT_SAMPLE_ROWS = 6_000;
const UPDATE_SAMPLE = 4_000;
const BATCH = 100;

const contactImport: Workload = {
  name: 'contact import',
  describe: (p) =>
    `${thousands(p.importRowsPerSecond)} rows/s through POST /v1/contacts/batch (${BATCH} per call) by one machine client; ${p.importOwners} owner(s); ${p.importProperties} custom properties per row; lifecycle stage lead; every email at one domain; with the search terms the indexer writes`,
  async run(p, deps, ledger) {
    await defineProperties(deps, p.importProperties);
    const importer: Actor = { type: 'client', id: 'importer', role: 'manager' };
    const properties = Object.fromEntries(propertyNames(p.importProperties).map((name) => [name, 'imported value']));
    ledger.recording = true;
    for (let start = 0; start < IMPORT_SAMPLE_ROWS; start += BATCH) {
      const inputs = Array.from({ length: BATCH }, (_, offset) => {
        const n = start + offset;
        return { ...contactInput(n, 'import'), lifecycleStage: 'lead', ownerId: `owner-${n % p.importOwners}`, properties };
      });
      const results = await batchWriteRecords(deps, contactModel, inputs, importer);
      // The search indexer writes each batch's terms from the stream at the same pace.
      await indexRecordChanges({ table: ledger, clock: deps.clock }, results.flatMap((result) => (result.outcome === 'created' ? [recordChangeBetween('contact', undefined, result.record)] : [])));
    }
    ledger.recording = false;
    return scaled(ledger.partitionLoads(), p.importRowsPerSecond / IMPORT_SAMPLE_ROWS);
  },
};

const contactUpdates: Workload = {
  name: 'contact updates',
  describe: (p) => `${thousands(p.updatesPerSecond)} updates/s (PATCH, lifecycle stage or title) spread over ${thousands(p.updateContacts)} contacts, by ${p.updateActors} caller(s)`,
  async run(p, deps, ledger) {
    // Only the contacts the sample touches are created: a record's own heat is its share of the population's updates.
    const picks = Array.from({ length: UPDATE_SAMPLE }, (_, n) => (n * 7_919 + 13) % p.updateContacts);
    const ids = new Map<number, string>();
    for (const n of new Set(picks)) ids.set(n, (await createRecord(deps, contactModel, contactModel.createSchema.parse(contactInput(n, 'update')), admin)).id);
    ledger.recording = true;
    for (const [index, n] of picks.entries()) {
      const actor: Actor = { type: 'client', id: `sync-${index % p.updateActors}`, role: 'manager' };
      const patch = index % 2 === 0 ? { lifecycleStage: index % 4 === 0 ? 'mql' : 'sql' } : { title: `Title ${index}` };
      await updateRecord(deps, contactModel, ids.get(n)!, patch, { actor });
    }
    ledger.recording = false;
    // The sample touched fewer contacts than the population: scale each record's heat to its real share.
    const perRecordCorrection = new Set(picks).size / p.updateContacts;
    const rates = scaled(ledger.partitionLoads(), p.updatesPerSecond / UPDATE_SAMPLE);
    for (const load of rates.values()) {
      if (load.space === 'table' && /^CONTACT#/.test(load.partitionKey)) {
        load.wcu *= perRecordCorrection;
        load.rcu *= perRecordCorrection;
      }
    }
    return rates;
  },
};

const dealImport: Workload = {
  name: 'deal import',
  describe: (p) => `${thousands(p.dealImportRowsPerSecond)} deals/s through POST /v1/deals/batch into one stage of the default pipeline, by one machine client`,
  async run(p, deps, ledger) {
    const importer: Actor = { type: 'client', id: 'importer', role: 'manager' };
    ledger.recording = true;
    for (let start = 0; start < IMPORT_SAMPLE_ROWS / 2; start += BATCH) {
      const inputs = Array.from({ length: BATCH }, (_, offset) => ({ name: `Imported deal ${start + offset}`, amount: 1_000, stageId: 'qualified_to_buy', ownerId: 'owner-0' }));
      await batchWriteRecords(deps, dealModel, inputs, importer);
    }
    ledger.recording = false;
    return scaled(ledger.partitionLoads(), p.dealImportRowsPerSecond / (IMPORT_SAMPLE_ROWS / 2));
  },
};

const EVERYDAY_CONTACTS = 3_000;
const EVERYDAY_DEALS = 300;
const WORKDAY_SECONDS = 8 * 3_600;

const everyday: Workload = {
  name: 'everyday use',
  describe: (p) => `${p.users} users of the "${p.profile}" profile (bench/usage-profiles.ts) at ${p.peakFactor}x their average rate over an 8-hour day`,
  async run(p, deps, ledger) {
    const profile = usageProfiles.find((candidate) => candidate.name === p.profile);
    if (!profile) throw new Error(`No usage profile ${p.profile}`);
    const users = Array.from({ length: p.users }, (_, n): Actor => ({ type: 'user', id: `user-${n}`, role: 'manager' }));
    const contacts: CrmRecord[] = [];
    for (let n = 0; n < EVERYDAY_CONTACTS; n++) contacts.push(await createRecord(deps, contactModel, contactModel.createSchema.parse({ ...contactInput(n, 'everyday'), ownerId: users[n % users.length]!.id }), admin));
    const deals: CrmRecord[] = [];
    for (let n = 0; n < EVERYDAY_DEALS; n++) deals.push(await createRecord(deps, dealModel, dealModel.createSchema.parse({ name: `Deal ${n}`, amount: 1_000 + n, contactIds: [contacts[n]!.id], ownerId: users[n % users.length]!.id }), admin));
    for (const contact of contacts.slice(0, 50)) {
      for (let k = 0; k < 5; k++) await createRecord(deps, activityModel, activityModel.createSchema.parse({ kind: 'note', body: 'Called about renewal', contactIds: [contact.id] }), admin);
    }

    const stages = ['qualified_to_buy', 'presentation_scheduled', 'decision_maker_bought_in', 'contract_sent'];
    const routes: Record<string, (n: number, actor: Actor) => Promise<unknown>> = {
      'get contact': (n, actor) => getRecord(deps, contactModel, contacts[n % contacts.length]!.id, actor),
      'list contacts (25)': (_n, actor) => listRecords(deps, contactModel, { limit: 25 }, actor),
      'search page (stage, 25)': (_n, actor) => listRecords(deps, contactModel, { limit: 25, lifecycleStage: 'lead' }, actor),
      'timeline page (25)': (n, actor) => recordTimeline(deps, contactModel, contacts[n % 50]!.id, { limit: 25 }, actor),
      'create contact': (n, actor) => createRecord(deps, contactModel, contactModel.createSchema.parse(contactInput(100_000 + n, 'new')), actor),
      'update contact': (n, actor) => updateRecord(deps, contactModel, contacts[(n * 31) % contacts.length]!.id, { title: `Title ${n}` }, { actor }),
      'create deal': (n, actor) => createRecord(deps, dealModel, dealModel.createSchema.parse({ name: `New deal ${n}`, pipelineId: DEFAULT_PIPELINE_ID, contactIds: [contacts[n % contacts.length]!.id] }), actor),
      'move deal stage': (n, actor) => updateRecord(deps, dealModel, deals[(n * 17) % deals.length]!.id, { stageId: stages[n % stages.length] }, { actor }),
    };
    const all: Rates[] = [];
    for (const [route, perUserDay] of Object.entries(profile.requestsPerUserDay)) {
      const run = routes[route];
      if (!run) continue;
      const perSecond = (perUserDay * p.users * p.peakFactor) / WORKDAY_SECONDS;
      const sample = 200;
      ledger.reset();
      ledger.recording = true;
      for (let n = 0; n < sample; n++) await run(n, users[n % users.length]!);
      ledger.recording = false;
      all.push(scaled(ledger.partitionLoads(), perSecond / sample));
    }
    return combine(all);
  },
};

const workloads: readonly Workload[] = [contactImport, contactUpdates, dealImport, everyday];

/** Runs every workload on a fresh ledger, with the shard counts as they are in domain/shared/keys.ts. */
async function heatOf(parameters: HeatParameters, layout: WorkloadHeat['layout']): Promise<WorkloadHeat[]> {
  const all: Rates[] = [];
  const results: WorkloadHeat[] = [];
  for (const workload of workloads) {
    const ledger = new CapacityLedgerTable();
    const deps = dependencies(ledger);
    await addOwners(deps, parameters);
    const rates = await workload.run(parameters, deps, ledger);
    all.push(rates);
    results.push({ workload: workload.name, description: workload.describe(parameters), layout, hottest: hottest(rates) });
  }
  results.push({ workload: 'all at once', description: 'the workloads above together', layout, hottest: hottest(combine(all)) });
  return results;
}

/** Everyone the workloads assign records to, as owners (free: the ledger is not recording); records may name owners only. */
async function addOwners(deps: RecordDependencies, parameters: HeatParameters): Promise<void> {
  const ids = [
    ...Array.from({ length: Math.max(1, parameters.importOwners) }, (_, n) => `owner-${n}`),
    ...Array.from({ length: Math.max(parameters.users, OWNERS) }, (_, n) => `user-${n}`),
  ];
  for (const id of ids) await noteSignedInUser(deps, { id });
}

async function contactItemBytes(): Promise<Record<string, number>> {
  const ledger = new CapacityLedgerTable();
  const deps = dependencies(ledger);
  await addOwners(deps, defaultHeatParameters);
  const written: Record<string, number> = {};
  const original = ledger.transactWrite.bind(ledger);
  ledger.transactWrite = async (ops) => {
    for (const op of ops) if (op.op === 'put') written[String(op.item.entity)] = itemSize(op.item);
    return original(ops);
  };
  await createRecord(deps, contactModel, contactModel.createSchema.parse(contactInput(1, 'size')), admin);
  return written;
}

export async function measurePartitionHeat(parameters: HeatParameters = defaultHeatParameters): Promise<HeatModel> {
  const before = await inLegacyLayout(() => heatOf(parameters, 'unsharded'));
  const after = await heatOf(parameters, 'sharded');
  return { parameters, shards: structuredClone(listShards), itemBytes: await contactItemBytes(), workloads: [...before, ...after] };
}

const percent = (share: number) => `${fixed(share * 100, 0)}%`;

export function partitionHeatTable(model: HeatModel): string {
  const rows = model.workloads.flatMap((heat) =>
    heat.hottest.map((hot) => [
      `${heat.workload} (${heat.layout})`,
      hot.space,
      hot.partitionKey.length > 44 ? `${hot.partitionKey.slice(0, 41)}…` : hot.partitionKey,
      fixed(hot.wcuPerSecond, 0),
      fixed(hot.rcuPerSecond, 0),
      `${percent(hot.shareOfLimit)}${hot.shareOfLimit > HEAT_TARGET ? ' OVER' : ''}`,
      thousands(hot.partitionsTouched),
    ]),
  );
  const over = model.workloads.filter((heat) => heat.layout === 'sharded').flatMap((heat) => heat.hottest.filter((hot) => hot.shareOfLimit > HEAT_TARGET).map((hot) => `${heat.workload}: ${hot.space} ${hot.partitionKey}`));
  return table(
    'Partition heat: the hottest partition key per table and index, per workload',
    ['workload (layout)', 'space', 'hottest partition key', 'WCU/s', 'RCU/s', 'of limit', 'keys'],
    rows,
    [
      ...new Set(model.workloads.map((heat) => `${heat.workload}: ${heat.description}`)),
      `Limits per partition key: ${thousands(PARTITION_WCU_LIMIT)} WCU/s, ${thousands(PARTITION_RCU_LIMIT)} RCU/s; "of limit" is the larger share, OVER above ${percent(HEAT_TARGET)}. Units by DynamoDB's documented rules (transactional writes and checks 2x, a changed index key is a delete and a put).`,
      `Items a contact create writes (bytes): ${Object.entries(model.itemBytes).map(([entity, bytes]) => `${entity} ${bytes}`).join(', ')}.`,
      `Shards (sharded layout): ${JSON.stringify(model.shards)}. Unsharded: every list in one partition key, as before.`,
      over.length === 0 ? `Sharded: no partition key above ${percent(HEAT_TARGET)} of its limit.` : `Sharded, still above ${percent(HEAT_TARGET)}: ${over.join('; ')}`,
    ],
  );
}
