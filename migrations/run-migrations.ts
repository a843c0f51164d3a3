import { ConflictError } from '../domain/shared/errors';
import { migrationKeys } from '../domain/shared/keys';
import type { Clock, CrmTablePort } from '../domain/shared/table-port';
import type { Migration } from './migration';
import type { TableScan } from './table-scan';

/** A lock not renewed for this long belongs to a run that died; the next run may take it over. */
const LOCK_TTL_MS = 15 * 60 * 1000;
/** How often a run renews its lock, well inside the TTL: a migration of a large table takes hours. */
const LOCK_RENEWAL_MS = 60 * 1000;

export interface MigrationRun {
  readonly applied: string[];
  readonly skipped: string[];
}

type LockDependencies = { table: CrmTablePort; clock: Clock };

/**
 * Applies, in order, the migrations this table has not recorded yet. Safe to re-run:
 * applied ones are skipped, and a lock item keeps two concurrent runs (two deploy
 * pipelines, say) from working at once. The run renews its lock while it works; should it
 * lose the lock (paused past the TTL, and taken over), it starts no further migration and
 * leaves the other run's lock alone.
 */
export async function runMigrations(deps: LockDependencies & { scan: TableScan }, migrations: readonly Migration[], log: (message: string) => void): Promise<MigrationRun> {
  const runId = `${deps.clock.now().toISOString()}-${Math.random().toString(36).slice(2)}`;
  const lock = await takeLock(deps, runId);
  const renewal = setInterval(() => void lock.renew().catch((error: Error) => log(`lock not renewed: ${error.message}`)), LOCK_RENEWAL_MS);
  try {
    const run: MigrationRun = { applied: [], skipped: [] };
    for (const migration of migrations) {
      if (await deps.table.getItem(migrationKeys.applied(migration.id))) {
        run.skipped.push(migration.id);
        continue;
      }
      await lock.renew();
      if (lock.lost()) throw new ConflictError('Another migration run took the lock over; this run stopped before the next migration.');
      log(`${migration.id}: ${migration.description}`);
      const { changed } = await migration.run({ table: deps.table, scan: deps.scan, log: (message) => log(`  ${message}`) });
      await deps.table.transactWrite([
        { op: 'put', item: { ...migrationKeys.applied(migration.id), entity: 'migration', appliedAt: deps.clock.now().toISOString(), changed } },
      ]);
      run.applied.push(migration.id);
    }
    return run;
  } finally {
    clearInterval(renewal);
    await lock.release();
  }
}

interface HeldLock {
  /** Takes the lock again for another TTL, if it is still this run's. */
  renew(): Promise<void>;
  /** The lock was found taken by another run. */
  lost(): boolean;
  /** Deletes the lock, if it is still this run's. */
  release(): Promise<void>;
}

async function takeLock(deps: LockDependencies, runId: string): Promise<HeldLock> {
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
  let version = now;
  let lost = false;
  const item = (at: number) => ({ ...migrationKeys.lock(), entity: 'migrationLock', runId, takenAt: at, version: at });
  await deps.table.transactWrite([{ op: 'put', item: item(now), condition: { kind: 'absent' }, onConditionFailed: () => new ConflictError('Another migration run holds the lock.') }]);
  const stillOurs = () => ({ kind: 'liveAtVersion' as const, version });
  return {
    async renew() {
      if (lost) return;
      const at = Math.max(deps.clock.now().getTime(), version + 1);
      const failed = await deps.table.tryTransactWrite([{ op: 'put', item: item(at), condition: stillOurs() }]);
      if (failed.length > 0) lost = true;
      else version = at;
    },
    lost: () => lost,
    async release() {
      if (lost) return;
      await deps.table.tryTransactWrite([{ op: 'delete', key: migrationKeys.lock(), condition: stillOurs() }]);
    },
  };
}
