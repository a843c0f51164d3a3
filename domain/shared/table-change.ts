import type { Item, ItemKey } from './table-port';

/**
 * One committed change of one item, as the table's stream reports it, decoded once (the
 * stream adapter does it, functions/stream/stream-handler.ts): the item before and after,
 * plain values, no DynamoDB JSON. Every stream consumer receives these.
 */
export interface TableChange {
  readonly kind: 'inserted' | 'modified' | 'removed';
  readonly key: ItemKey;
  /** What the item is (`contact`, `tombstone`, `enrollment`, …), after the change or, when removed, before it. */
  readonly entity: string;
  readonly before?: Item;
  readonly after?: Item;
  /** When the change was committed, as the stream says (to the second); a removal's only time. */
  readonly committedAt?: string;
  /** The stream's sequence number: for logs, and for the dead-letter queue's trail. */
  readonly sequence: string;
}
