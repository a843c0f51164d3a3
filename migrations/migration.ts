import type { CrmTablePort } from '../domain/shared/table-port';
import type { TableScan } from './table-scan';

/**
 * A versioned data migration. `run` must be safe to run again from the start: the
 * runner records a migration as applied only after it finished, so one interrupted
 * half-way runs again in full next time.
 */
export interface Migration {
  /** Sortable and unique: `0001-index-tasks-by-assignee`. */
  readonly id: string;
  readonly description: string;
  run(context: MigrationContext): Promise<{ changed: number }>;
}

export interface MigrationContext {
  readonly table: CrmTablePort;
  /** Every item of the table, for backfills of items no list reaches (table-scan.ts says when that is allowed). */
  readonly scan: TableScan;
  log(message: string): void;
}
