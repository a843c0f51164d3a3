import { ConflictError } from './errors';
import type { Clock, CrmTablePort, Item, WriteOp } from './table-port';

/** A stored value that carries its own version and last change time. */
export interface Versioned {
  readonly version: number;
  readonly updatedAt: string;
}

export interface VersionedUpdate<T extends Versioned> {
  /** Names the item in the 409 of a race lost every time: `Email 01H…`. */
  readonly what: string;
  /** The value as last read, if the caller has it (skips the first read). */
  readonly known?: T;
  read(): Promise<T | undefined>;
  toItem(value: T): Item;
  /** The fields to change, or undefined when there is nothing to write. */
  change(current: T): Partial<T> | undefined;
  /** Written in the same transaction, e.g. the audit entry of the change. */
  alongside?(previous: T, next: T): WriteOp[];
}

const MAX_ATTEMPTS = 5;

/**
 * Optimistic locking for items outside the record model (email messages, enrollments):
 * write the changed value conditioned on the version read; when someone else wrote in
 * between, read again and let `change` decide anew. Returns the value written, the current
 * one when `change` had nothing to do, or undefined when the item does not exist.
 */
export async function updateVersioned<T extends Versioned>(deps: { readonly table: CrmTablePort; readonly clock: Clock }, update: VersionedUpdate<T>): Promise<T | undefined> {
  let current = update.known ?? (await update.read());
  for (let attempt = 1; current; attempt++) {
    const fields = update.change(current);
    if (!fields) return current;
    const next: T = { ...current, ...fields, updatedAt: deps.clock.now().toISOString(), version: current.version + 1 };
    try {
      await deps.table.transactWrite([
        { op: 'put', item: update.toItem(next), condition: { kind: 'liveAtVersion', version: current.version }, onConditionFailed: () => new ConflictError(`${update.what} changed meanwhile.`) },
        ...(update.alongside?.(current, next) ?? []),
      ]);
      return next;
    } catch (error) {
      if (!(error instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw error;
      current = await update.read();
    }
  }
  return undefined;
}
