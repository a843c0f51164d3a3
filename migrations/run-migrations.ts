import { ConflictError } from '../domain/shared/errors';
import { migrationKeys } from '../domain/shared/keys';
import type { Clock, CrmTablePort } from '../domain/shared/table-port';
import type { Migration } from './migration';
import type { TableScan } from './table-scan';

/** A lock older than this belongs to a run that died; the next run may take it over. */
const LOCK_TTL_MS = 15 * 60 * 1000;

export interface MigrationRun {
  readonly applied: string[];
  readonly skipped: string[];
}

/**
 * Applies, in order, the migrations this table has not recorded yet. Safe to re-run:
 * applied ones are skipped, and a lock item keeps two concurrent runs (two deploy
 * pipelines, say) from working at once.
 */
export async function runMigrations(deps: { table: CrmTablePort; clock: Clock; scan: TableScan }, migrations: readonly Migration[], log: (message: string) => void): Promise<MigrationRun> {
  const runId = `${deps.clock.now().toISOString()}-${Math.random().toString(36).slice(2)}`;
  await takeLock(deps, runId);
  try {
    const run: MigrationRun = { applied: [], skipped: [] };
    for (const migration of migrations) {
      if (await deps.table.getItem(migrationKeys.applied(migration.id))) {
        run.skipped.push(migration.id);
        continue;
      }
      log(`${migration.id}: ${migration.description}`);
      const { changed } = await migration.run({ table: deps.table, scan: deps.scan, log: (message) => log(`  ${message}`) });
      await deps.table.transactWrite([
        { op: 'put', item: { ...migrationKeys.applied(migration.id), entity: 'migration', appliedAt: deps.clock.now().toISOString(), changed } },
      ]);
      run.applied.push(migration.id);
    }
    return run;
  } finally {
    await deps.table.deleteItems([migrationKeys.lock()]);
  }
}

async function takeLock(deps: { table: CrmTablePort; clock: Clock }, runId: string): Promise<void> {
  const now = deps.clock.now().getTime();
  const current = await deps.table.getItem(migrationKeys.lock());
  if (current && now - Number(current.takenAt) < LOCK_TTL_MS) {
    throw new ConflictError(`Another migration run (${String(current.runId)}) holds the lock since ${new Date(Number(current.takenAt)).toISOString()}.`);
  }
  if (current) {
    // Removing a stale lock is conditioned on it being the very lock we saw.
    await deps.table.transactWrite([
      { op: 'delete', key: migrationKeys.lock(), condition: { kind: 'liveAtVersion', version: Number(current.version) }, onConditionFailed: () => new ConflictError('Another run took the lock.') },
    ]);
  }
  await deps.table.transactWrite([
    { op: 'put', item: { ...migrationKeys.lock(), entity: 'migrationLock', runId, takenAt: now, version: now }, condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError('Another migration run holds the lock.') },
  ]);
}
