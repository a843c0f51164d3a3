import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { MeteredCall } from '../adapters/dynamodb/capacity-meter';
import { crmTable } from '../adapters/dynamodb/table-definition';

/**
 * Capacity units by DynamoDB's documented rules, computed from the items a call sent
 * and got back. DynamoDB Local reports ConsumedCapacity, but not by these rules for
 * transactions (see the capacity notes the bench prints), and the bill follows these.
 * On-demand bills request units exactly where provisioned mode counts capacity units.
 *
 * Rules (Amazon DynamoDB Developer Guide: "Item sizes and formats", "Read/write
 * capacity mode", "Capacity management for transactions", GSI throughput):
 * - read: one unit per 4 KB, strongly consistent 1, eventually consistent 0.5 (index
 *   reads always); GetItem and BatchGetItem round each item up, Query rounds the sum
 *   of the page; a read of nothing still costs one unit; transactional reads cost 2x.
 * - write: one unit per 1 KB of the larger of old and new item; transactional writes 2x.
 * - every write also writes each GSI the item is or was in, as a standard write of the
 *   projected item (all attributes here): one write if its index key stays, a delete
 *   and a put if it changes (our list keys embed updatedAt, so every update changes them).
 * Assumptions where the documentation is silent: a ConditionCheck costs what a
 * transactional write of the checked item would; index writes caused by a transaction
 * are standard, not transactional, writes; an item whose old size is unknown (a delete
 * target nobody read) counts as under 1 KB, which guards and links are.
 */

export type AttributeMap = Record<string, AttributeValue>;
export interface CapacityUnits {
  read: number;
  write: number;
  /** Items written to the table, items only checked (transaction ConditionCheck), and index entries written or deleted. */
  itemWrites: number;
  conditionChecks: number;
  indexWrites: number;
}

const KB = 1024;
const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Approximately (significant digits / 2) + 1 bytes, as documented. */
function numberSize(value: string): number {
  const digits = value.replace(/^-/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

export function attributeValueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, entry) => sum + utf8(entry), 0);
  if (value.NS) return value.NS.reduce((sum, entry) => sum + numberSize(entry), 0);
  if (value.BS) return value.BS.reduce((sum, entry) => sum + entry.byteLength, 0);
  // Lists and maps: 3 bytes, plus 1 byte per element (and a map element's name).
  if (value.L) return 3 + value.L.reduce((sum, entry) => sum + 1 + attributeValueSize(entry), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [name, entry]) => sum + 1 + utf8(name) + attributeValueSize(entry), 0);
  return 0;
}

/**
 * Items arrive here marshalled (requests, low-level outputs) or plain (document
 * client outputs). Every CRM item has a string pk, which tells the two apart.
 */
export function asAttributeMap(item: Record<string, unknown>): AttributeMap {
  return typeof item[crmTable.partitionKey] === 'string' ? (marshall(item, { removeUndefinedValues: true, convertClassInstanceToMap: false }) as AttributeMap) : (item as AttributeMap);
}

export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(asAttributeMap(item)).reduce((sum, [name, value]) => sum + utf8(name) + attributeValueSize(value), 0);
}

export const keyOf = (item: Record<string, unknown>) => {
  const map = asAttributeMap(item);
  return `${map[crmTable.partitionKey]?.S}\u0000${map[crmTable.sortKey]?.S}`;
};

const readUnits = (bytes: number, rate: number) => Math.max(1, Math.ceil(bytes / (4 * KB))) * rate;
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / KB));

/** Index entries written when `after` replaces `before` (either may be absent). */
function indexWrites(before: AttributeMap | undefined, after: AttributeMap | undefined): { writes: number; units: number } {
  let writes = 0;
  let units = 0;
  for (const index of crmTable.globalIndexes) {
    const keyIn = (item: AttributeMap | undefined) =>
      item?.[index.partitionKey]?.S !== undefined && item[index.sortKey]?.S !== undefined ? `${item[index.partitionKey]!.S}\u0000${item[index.sortKey]!.S}` : undefined;
    const oldKey = keyIn(before);
    const newKey = keyIn(after);
    const oldUnits = before ? writeUnits(itemSize(before)) : 0;
    const newUnits = after ? writeUnits(itemSize(after)) : 0;
    if (oldKey && newKey && oldKey === newKey) {
      writes += 1;
      units += Math.max(oldUnits, newUnits);
    } else {
      if (oldKey) {
        writes += 1;
        units += oldUnits;
      }
      if (newKey) {
        writes += 1;
        units += newUnits;
      }
    }
  }
  return { writes, units };
}

type KnownItems = ReadonlyMap<string, AttributeMap>;

const none: CapacityUnits = { read: 0, write: 0, itemWrites: 0, conditionChecks: 0, indexWrites: 0 };
const add = (a: CapacityUnits, b: CapacityUnits): CapacityUnits => ({
  read: a.read + b.read,
  write: a.write + b.write,
  itemWrites: a.itemWrites + b.itemWrites,
  conditionChecks: a.conditionChecks + b.conditionChecks,
  indexWrites: a.indexWrites + b.indexWrites,
});

/** One write of `after` over `before`: table units (times `rate`) plus index units. */
function writeCost(before: AttributeMap | undefined, after: AttributeMap | undefined, rate: number): CapacityUnits {
  const size = Math.max(before ? itemSize(before) : 0, after ? itemSize(after) : 0);
  const index = indexWrites(before, after);
  return { ...none, write: writeUnits(size) * rate + index.units, itemWrites: 1, indexWrites: index.writes };
}

/** A transaction's ConditionCheck: billed like a transactional write of the checked item, which it leaves as it is. */
function checkCost(checked: AttributeMap | undefined): CapacityUnits {
  return { ...none, write: writeUnits(checked ? itemSize(checked) : 0) * 2, conditionChecks: 1 };
}

/** The items a call returned, marshalled. */
function returnedItems(call: MeteredCall): AttributeMap[] {
  const output = call.output as { Item?: Record<string, unknown>; Items?: Record<string, unknown>[]; Responses?: Record<string, Record<string, unknown>[]> | { Item?: Record<string, unknown> }[] } | undefined;
  if (!output) return [];
  const items = [
    ...(output.Item ? [output.Item] : []),
    ...(output.Items ?? []),
    ...(Array.isArray(output.Responses) ? output.Responses.flatMap((response) => (response.Item ? [response.Item] : [])) : Object.values(output.Responses ?? {}).flat()),
  ];
  return items.map(asAttributeMap);
}

/** Capacity of one call by the documented rules; `known` holds the items as they were before it. */
function callCost(call: MeteredCall, known: KnownItems): CapacityUnits {
  const input = call.input as any;
  const returned = returnedItems(call);
  switch (call.command) {
    case 'GetItem':
      return { ...none, read: readUnits(returned[0] ? itemSize(returned[0]) : 0, input.ConsistentRead ? 1 : 0.5) };
    case 'Query':
      return { ...none, read: readUnits(returned.reduce((sum, item) => sum + itemSize(item), 0), input.ConsistentRead && !input.IndexName ? 1 : 0.5) };
    case 'BatchGetItem': {
      const request = Object.values(input.RequestItems as Record<string, { Keys: unknown[]; ConsistentRead?: boolean }>)[0]!;
      const rate = request.ConsistentRead ? 1 : 0.5;
      const missing = Math.max(0, request.Keys.length - returned.length);
      return { ...none, read: returned.reduce((sum, item) => sum + readUnits(itemSize(item), rate), 0) + missing * readUnits(0, rate) };
    }
    case 'TransactGetItems':
      return { ...none, read: returned.reduce((sum, item) => sum + readUnits(itemSize(item), 2), 0) };
    case 'TransactWriteItems':
      return (input.TransactItems as any[]).reduce((total: CapacityUnits, action) => {
        if (action.Put) return add(total, writeCost(known.get(keyOf(action.Put.Item)), action.Put.Item, 2));
        if (action.Delete) return add(total, writeCost(known.get(keyOf(action.Delete.Key)), undefined, 2));
        if (action.ConditionCheck) return add(total, checkCost(known.get(keyOf(action.ConditionCheck.Key))));
        // Update: the new image is not in the request; the old one sizes it.
        return add(total, writeCost(known.get(keyOf(action.Update.Key)), known.get(keyOf(action.Update.Key)), 2));
      }, none);
    case 'BatchWriteItem':
      return (Object.values(input.RequestItems as Record<string, any[]>)[0] ?? []).reduce(
        (total: CapacityUnits, request) =>
          add(total, request.PutRequest ? writeCost(known.get(keyOf(request.PutRequest.Item)), request.PutRequest.Item, 1) : writeCost(known.get(keyOf(request.DeleteRequest.Key)), undefined, 1)),
        none,
      );
    case 'PutItem':
      return writeCost(known.get(keyOf(input.Item)), input.Item, 1);
    case 'DeleteItem':
      return writeCost(known.get(keyOf(input.Key)), undefined, 1);
    case 'UpdateItem':
      return writeCost(known.get(keyOf(input.Key)), known.get(keyOf(input.Key)), 1);
    default:
      return none;
  }
}

/** Keys a request's writes and checks touch that none of its own reads returned: the caller looks their old items up. */
export function unreadTargets(calls: readonly MeteredCall[]): { pk: string; sk: string }[] {
  const read = new Set(calls.flatMap(returnedItems).map(keyOf));
  const targets = calls.flatMap((call) => {
    const input = call.input as any;
    if (call.command !== 'TransactWriteItems') return [];
    return (input.TransactItems as any[]).map((action) => action.ConditionCheck?.Key ?? action.Delete?.Key ?? action.Update?.Key).filter(Boolean) as AttributeMap[];
  });
  const unique = new Map(targets.filter((key) => !read.has(keyOf(key))).map((key) => [keyOf(key), { pk: key[crmTable.partitionKey]!.S!, sk: key[crmTable.sortKey]!.S! }]));
  return [...unique.values()];
}

/**
 * Documented capacity of one request's calls, in order. Items a call read are known
 * to the calls after it (a read-modify-write sizes its put against what it read);
 * `lookedUp` adds items the request touched without reading (condition checks).
 */
export function documentedCapacity(calls: readonly MeteredCall[], lookedUp: readonly Record<string, unknown>[] = []): CapacityUnits {
  const known = new Map(lookedUp.map((item) => [keyOf(item), asAttributeMap(item)]));
  let total = none;
  for (const call of calls) {
    total = add(total, callCost(call, known));
    for (const item of returnedItems(call)) known.set(keyOf(item), item);
  }
  return total;
}

/** What DynamoDB itself reported for the calls (ConsumedCapacity), split into reads and writes by operation. */
export function reportedCapacity(calls: readonly MeteredCall[]): { read: number; write: number } {
  const writes = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems', 'ExecuteTransaction']);
  let read = 0;
  let write = 0;
  for (const call of calls) {
    const units = call.consumedCapacity.reduce((sum, capacity) => sum + (capacity.CapacityUnits ?? 0), 0);
    if (writes.has(call.command)) write += units;
    else read += units;
  }
  return { read, write };
}

/**
 * Bytes one item occupies in storage: its size plus DynamoDB's 100 bytes of per-item
 * overhead, once in the table and once more in each GSI it is projected into.
 */
export function storedBytes(item: Record<string, unknown>): number {
  const map = asAttributeMap(item);
  const copies = 1 + crmTable.globalIndexes.filter((index) => map[index.partitionKey] !== undefined && map[index.sortKey] !== undefined).length;
  return copies * (itemSize(map) + 100);
}
