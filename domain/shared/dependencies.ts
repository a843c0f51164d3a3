import type { KeyLayout } from './key-layout';
import type { Clock, CrmTablePort, IdGenerator } from './table-port';

/** What every use case that reads or writes the table needs; adapters/runtime.ts fills it in. */
export interface CoreDependencies {
  readonly table: CrmTablePort;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** Whether lists must still read the partitions they had before sharding. */
  readonly layout: KeyLayout;
}

/**
 * The same dependencies with their ids derived: the n-th id asked for is `idOf(n)`. What
 * makes work done again (a retried request or step) make the same ids, so it finds what
 * it made instead of making it twice.
 */
export function withDerivedIds<D extends { readonly ids: IdGenerator }>(deps: D, idOf: (n: number) => string): D {
  let made = 0;
  return { ...deps, ids: { next: () => idOf(made++) } };
}
