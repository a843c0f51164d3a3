import { crmTable } from '../../adapters/dynamodb/table-definition';
import { ConflictError } from '../../domain/shared/errors';
import type { CrmTablePort, Item, ItemKey, KeyQuery, PageKey, QueryPage, WriteCondition, WriteOp } from '../../domain/shared/table-port';
import { itemSize } from '../capacity-rules';

/**
 * The table port the partition-heat model runs the real use cases against: items kept in
 * memory, and every call charged to the partition keys it touches by DynamoDB's documented
 * capacity rules (bench/capacity-rules.ts states them): reads per 4 KB, writes per 1 KB of
 * the larger of old and new item, transactional writes and condition checks twice, and a
 * standard write in each GSI whose key an item gains, keeps or loses (a delete and a put
 * when the key changes). DynamoDB Local never throttles, so this ledger is how the bench
 * sees a hot key. It is a model: conditions behave as the domain relies on, nothing more.
 */

export type PartitionSpace = 'table' | (typeof crmTable.globalIndexes)[number]['indexName'];

export interface PartitionLoad {
  readonly space: PartitionSpace;
  readonly partitionKey: string;
  wcu: number;
  rcu: number;
}

const KB = 1024;
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));
const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / (4 * KB)));
const identity = (key: ItemKey) => `${key.pk}\u0000${key.sk}`;

function satisfies(condition: WriteCondition | undefined, current: Item | undefined): boolean {
  switch (condition?.kind) {
    case undefined:
      return true;
    case 'absent':
      return current === undefined;
    case 'live':
      return current !== undefined && current.deletedAt === undefined;
    case 'liveAtVersion':
      return current !== undefined && current.deletedAt === undefined && current.version === condition.version;
  }
}

export class CapacityLedgerTable implements CrmTablePort {
  private readonly items = new Map<string, Item>();
  /** Item identities by `<partition attribute> <partition key>`, so a Query looks at its partition only. */
  private readonly partitions = new Map<string, Set<string>>();
  private readonly loads = new Map<string, PartitionLoad>();
  /** Charges go to the ledger only while recording (loading fixtures is free). */
  recording = false;

  /** Per partition key, what the recorded calls cost; cleared by `reset`. */
  partitionLoads(): PartitionLoad[] {
    return [...this.loads.values()];
  }

  reset(): void {
    this.loads.clear();
  }

  private charge(space: PartitionSpace, partitionKey: string, units: { wcu?: number; rcu?: number }): void {
    if (!this.recording) return;
    const id = `${space}\u0000${partitionKey}`;
    const load = this.loads.get(id) ?? { space, partitionKey, wcu: 0, rcu: 0 };
    load.wcu += units.wcu ?? 0;
    load.rcu += units.rcu ?? 0;
    this.loads.set(id, load);
  }

  /** The table write and each index write of replacing `before` with `after` (either may be absent). */
  private chargeWrite(before: Item | undefined, after: Item | undefined, transactional: boolean): void {
    const key = (after ?? before)!;
    const size = Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0);
    this.charge('table', key.pk, { wcu: writeUnits(size) * (transactional ? 2 : 1) });
    for (const index of crmTable.globalIndexes) {
      const keyIn = (item: Item | undefined) => (typeof item?.[index.partitionKey] === 'string' && typeof item[index.sortKey] === 'string' ? { pk: item[index.partitionKey] as string, sk: item[index.sortKey] as string } : undefined);
      const oldKey = keyIn(before);
      const newKey = keyIn(after);
      if (oldKey && newKey && oldKey.pk === newKey.pk && oldKey.sk === newKey.sk) {
        this.charge(index.indexName, newKey.pk, { wcu: writeUnits(size) });
        continue;
      }
      if (oldKey) this.charge(index.indexName, oldKey.pk, { wcu: writeUnits(itemSize(before!)) });
      if (newKey) this.charge(index.indexName, newKey.pk, { wcu: writeUnits(itemSize(after!)) });
    }
  }

  private store(item: Item): void {
    this.unstore(item);
    this.items.set(identity(item), item);
    for (const attribute of ['pk', ...crmTable.globalIndexes.map((index) => index.partitionKey)]) {
      if (typeof item[attribute] !== 'string') continue;
      const members = this.partitions.get(`${attribute} ${item[attribute]}`) ?? new Set<string>();
      members.add(identity(item));
      this.partitions.set(`${attribute} ${item[attribute]}`, members);
    }
  }

  private unstore(key: ItemKey): void {
    const existing = this.items.get(identity(key));
    if (!existing) return;
    this.items.delete(identity(key));
    for (const attribute of ['pk', ...crmTable.globalIndexes.map((index) => index.partitionKey)]) {
      if (typeof existing[attribute] === 'string') this.partitions.get(`${attribute} ${existing[attribute]}`)?.delete(identity(key));
    }
  }

  async getItem(key: ItemKey): Promise<Item | undefined> {
    const item = this.items.get(identity(key));
    this.charge('table', key.pk, { rcu: readUnits(item ? itemSize(item) : 0) });
    return item;
  }

  async getItems(keys: readonly ItemKey[]): Promise<Item[]> {
    const found: Item[] = [];
    for (const key of new Map(keys.map((candidate) => [identity(candidate), candidate])).values()) {
      const item = await this.getItem(key);
      if (item) found.push(item);
    }
    return found;
  }

  async query(query: KeyQuery, page: { limit: number; startKey?: PageKey }): Promise<QueryPage> {
    const partitionAttribute = query.index ? `${query.index}pk` : 'pk';
    const sortAttribute = query.index ? `${query.index}sk` : 'sk';
    const condition = query.sortKey;
    const inRange = (value: string) =>
      !condition ? true : condition.kind === 'beginsWith' ? value.startsWith(condition.prefix) : value >= condition.from && value <= condition.to;
    const direction = query.ascending ? 1 : -1;
    const members = [...(this.partitions.get(`${partitionAttribute} ${query.partitionKey}`) ?? [])].map((id) => this.items.get(id)!);
    const matching = members
      .filter((item) => typeof item[sortAttribute] === 'string' && inRange(item[sortAttribute] as string))
      .sort((a, b) => direction * String(a[sortAttribute]).localeCompare(String(b[sortAttribute])) || direction * identity(a).localeCompare(identity(b)));
    const start = page.startKey ? matching.findIndex((item) => item.pk === page.startKey!.pk && item.sk === page.startKey!.sk) + 1 : 0;
    const items = matching.slice(start, start + page.limit);
    const last = items.at(-1);
    const more = start + page.limit < matching.length;
    // Queries of an index read eventually consistent (half price); the adapter reads the table's strongly.
    const bytes = items.reduce((sum, item) => sum + itemSize(item), 0);
    this.charge(query.index ?? 'table', query.partitionKey, { rcu: readUnits(bytes) * (query.index ? 0.5 : 1) });
    const lastKey = more && last ? Object.fromEntries(['pk', 'sk', partitionAttribute, sortAttribute].map((name) => [name, String(last[name])])) : undefined;
    return { items, ...(lastKey ? { lastKey } : {}) };
  }

  async transactWrite(ops: readonly WriteOp[]): Promise<void> {
    const failed = await this.tryTransactWrite(ops);
    if (failed.length > 0) throw ops[failed[0]!]!.onConditionFailed?.() ?? new ConflictError('A condition failed.');
  }

  async tryTransactWrite(ops: readonly WriteOp[]): Promise<readonly number[]> {
    const failed = ops.flatMap((op, position) => (satisfies(op.condition, this.items.get(identity(op.op === 'put' ? op.item : op.key))) ? [] : [position]));
    if (failed.length > 0) return failed;
    for (const op of ops) {
      const key = op.op === 'put' ? op.item : op.key;
      const before = this.items.get(identity(key));
      if (op.op === 'check') {
        this.charge('table', key.pk, { wcu: writeUnits(before ? itemSize(before) : 0) * 2 });
      } else if (op.op === 'put') {
        this.chargeWrite(before, op.item, true);
        this.store(op.item);
      } else if (op.op === 'add') {
        const after: Item = { ...(before ?? op.key) };
        for (const [name, amount] of Object.entries(op.amounts)) after[name] = Number(after[name] ?? 0) + amount;
        this.chargeWrite(before, after, true);
        this.store(after);
      } else {
        this.chargeWrite(before ?? { ...op.key }, undefined, true);
        this.unstore(key);
      }
    }
    return [];
  }

  async deleteItems(keys: readonly ItemKey[]): Promise<void> {
    for (const key of keys) {
      this.chargeWrite(this.items.get(identity(key)) ?? { ...key }, undefined, false);
      this.unstore(key);
    }
  }

  async putItems(items: readonly Item[]): Promise<void> {
    for (const item of items) {
      this.chargeWrite(this.items.get(identity(item)), item, false);
      this.store(item);
    }
  }

  async increment(key: ItemKey, attributes: Record<string, unknown> = {}): Promise<number> {
    const before = this.items.get(identity(key));
    const after: Item = { ...before, ...attributes, pk: key.pk, sk: key.sk, count: Number(before?.count ?? 0) + 1 };
    this.chargeWrite(before, after, false);
    this.store(after);
    return after.count as number;
  }
}
