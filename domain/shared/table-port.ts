import type { CrmError } from './errors';

/**
 * The port through which the domain reads and writes the single CRM table. The
 * domain decides every key, condition and index (see keys.ts); the adapter only
 * executes, and turns a failed condition into the error the operation names.
 */
export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue | undefined };
export type Item = { pk: string; sk: string } & Record<string, unknown>;
export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export type IndexName = 'gsi1' | 'gsi2' | 'gsi3' | 'gsi4' | 'gsi5';

/** Conditions the domain relies on. `live` excludes tombstoned records being deleted. */
export type WriteCondition =
  | { readonly kind: 'absent' }
  | { readonly kind: 'live' }
  | { readonly kind: 'liveAtVersion'; readonly version: number };

interface ConditionalOp {
  readonly condition?: WriteCondition;
  /** The domain error raised when this operation's condition is what failed. */
  readonly onConditionFailed?: () => CrmError;
}

export type WriteOp =
  | ({ readonly op: 'put'; readonly item: Item } & ConditionalOp)
  | ({ readonly op: 'delete'; readonly key: ItemKey } & ConditionalOp)
  | ({ readonly op: 'check'; readonly key: ItemKey; readonly condition: WriteCondition } & ConditionalOp)
  /** Adds each number to its attribute (UpdateItem ADD), creating the item and the attributes at zero first: counters. */
  | ({ readonly op: 'add'; readonly key: ItemKey; readonly amounts: Readonly<Record<string, number>> } & ConditionalOp);

export type SortKeyCondition =
  | { readonly kind: 'beginsWith'; readonly prefix: string }
  | { readonly kind: 'between'; readonly from: string; readonly to: string };

/** One named access pattern, resolved to concrete key values. */
export interface KeyQuery {
  readonly pattern: string;
  readonly index?: IndexName;
  readonly partitionKey: string;
  readonly sortKey?: SortKeyCondition;
  /** Newest first unless set. */
  readonly ascending?: boolean;
}

export type PageKey = Record<string, string>;

export interface QueryPage {
  readonly items: Item[];
  readonly lastKey?: PageKey;
}

export interface CrmTablePort {
  getItem(key: ItemKey): Promise<Item | undefined>;
  /** Missing keys are simply absent from the result; order is not preserved. */
  getItems(keys: readonly ItemKey[]): Promise<Item[]>;
  query(query: KeyQuery, page: { limit: number; startKey?: PageKey }): Promise<QueryPage>;
  /** All-or-nothing. Throws the failing op's `onConditionFailed()` error, or ConflictError. */
  transactWrite(ops: readonly WriteOp[]): Promise<void>;
  /**
   * All-or-nothing too, for writes that do not depend on each other (the records of an
   * import, many to a transaction): when conditions fail, nothing is written and the answer
   * is the position of every operation whose condition failed, so the caller can write the
   * others again without them. Empty when everything was written.
   */
  tryTransactWrite(ops: readonly WriteOp[]): Promise<readonly number[]>;
  /** Unconditional, idempotent deletes of many items (cascade clean-up). */
  deleteItems(keys: readonly ItemKey[]): Promise<void>;
  /** Unconditional puts of many items; idempotent when the keys are deterministic. */
  putItems(items: readonly Item[]): Promise<void>;
  /**
   * Adds one to a counter item's `count` (creating the item at 1, with `attributes`) and
   * answers the new count: every concurrent caller gets a different number (a ticket).
   */
  increment(key: ItemKey, attributes?: Record<string, unknown>): Promise<number>;
}

export interface Clock {
  now(): Date;
  /** Waits, e.g. before retrying a write that lost a race. */
  sleep(ms: number): Promise<void>;
}

export interface IdGenerator {
  /** Unique; sortable by creation time, except the ids an Idempotency-Key derives (a hash, the same on every retry). */
  next(): string;
}
