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
