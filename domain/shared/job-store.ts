import type { CoreDependencies } from './dependencies';
import { AlreadyExistsError, ConflictError, NotFoundError } from './errors';
import type { Item, ItemKey } from './table-port';

/** A job a run works through step by step (an export, an import): one item, versioned. */
export interface StoredJob {
  readonly id: string;
  readonly version: number;
  readonly updatedAt: string;
}

export interface JobStore<Job extends StoredJob> {
  read(deps: Pick<CoreDependencies, 'table'>, id: string): Promise<Job>;
  /** Writes the job's next state if it is still at the version read: a step retried meanwhile, or a cancel, makes this one a ConflictError. */
  save(deps: Pick<CoreDependencies, 'table' | 'clock'>, job: Job, changes: Partial<Job>): Promise<Job>;
  /** Writes a new job; the same id again (an Idempotency-Key retry, whose job exists) answers the job stored. */
  create(deps: Pick<CoreDependencies, 'table'>, job: Job): Promise<Job>;
}

export function jobStore<Job extends StoredJob>(kind: string, keyOf: (id: string) => ItemKey, toItem: (job: Job) => Item, fromItem: (item: Item | undefined) => Job | undefined): JobStore<Job> {
  const read = async (deps: Pick<CoreDependencies, 'table'>, id: string): Promise<Job> => {
    const job = fromItem(await deps.table.getItem(keyOf(id)));
    if (!job) throw new NotFoundError(kind, id);
    return job;
  };
  return {
    read,
    async save(deps, job, changes) {
      const next: Job = { ...job, ...changes, updatedAt: deps.clock.now().toISOString(), version: job.version + 1 };
      await deps.table.transactWrite([{ op: 'put', item: toItem(next), condition: { kind: 'liveAtVersion', version: job.version }, onConditionFailed: () => new ConflictError(`The ${kind} ${job.id} changed meanwhile.`) }]);
      return next;
    },
    async create(deps, job) {
      try {
        await deps.table.transactWrite([{ op: 'put', item: toItem(job), condition: { kind: 'absent' }, onConditionFailed: () => new AlreadyExistsError(kind, job.id) }]);
        return job;
      } catch (error) {
        if (!(error instanceof AlreadyExistsError)) throw error;
        return read(deps, job.id);
      }
    },
  };
}
