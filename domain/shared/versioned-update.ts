import { PreconditionFailedError } from './errors';
import { retryLostRaces } from './optimistic-retry';
import type { Clock, CrmTablePort, Item, WriteOp } from './table-port';

/** A stored value that carries its own version and last change time. */
export interface Versioned {
  readonly version: number;
  readonly updatedAt: string;
}

export interface VersionedUpdate<T extends Versioned> {
  /** Names the item in the 409 of a race lost every time: `email`, `01H…`. */
  readonly resource: string;
  readonly id: string;
  /** The value as last read, if the caller has it (skips the first read). */
  readonly known?: T;
  read(): Promise<T | undefined>;
  toItem(value: T): Item;
  /** The fields to change, or undefined when there is nothing to write. */
  change(current: T): Partial<T> | undefined;
  /** Written in the same transaction, e.g. the audit entry of the change. */
  alongside?(previous: T, next: T): WriteOp[];
}

/**
 * Optimistic locking for items outside the record model (email messages, enrollments):
 * write the changed value conditioned on the version read; when someone else wrote in
 * between, read again and let `change` decide anew (retryLostRaces). Returns the value
 * written, the current one when `change` had nothing to do, or undefined when the item
 * does not exist.
 */
export async function updateVersioned<T extends Versioned>(deps: { readonly table: CrmTablePort; readonly clock: Clock }, update: VersionedUpdate<T>): Promise<T | undefined> {
  let known = update.known;
  return retryLostRaces(deps.clock, { resource: update.resource, id: update.id }, async () => {
    const current = known ?? (await update.read());
    known = undefined;
    if (!current) return undefined;
    const fields = update.change(current);
    if (!fields) return current;
    const next: T = { ...current, ...fields, updatedAt: deps.clock.now().toISOString(), version: current.version + 1 };
    await deps.table.transactWrite([
      { op: 'put', item: update.toItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new PreconditionFailedError() },
      ...(update.alongside?.(current, next) ?? []),
    ]);
    return next;
  });
}
