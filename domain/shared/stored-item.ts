import type { Item } from './table-port';

/**
 * Attributes that exist only for the table's sake and never reach a client: keys, the entity
 * tag, every index's keys, the TTL attribute, and who made a record's last change (for the stream).
 */
export const storageAttributes: ReadonlySet<string> = new Set([
  'pk',
  'sk',
  'entity',
  'changedBy',
  'expiresAt',
  ...['gsi1', 'gsi2', 'gsi3', 'gsi4', 'gsi5'].flatMap((index) => [`${index}pk`, `${index}sk`]),
]);

/** What an item stores of a value (an owner, a run, a delivery): the item without its storage attributes. */
export function storedValue<T>(item: Item | Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !storageAttributes.has(name))) as T;
}
