import type { Actor } from '../shared/actor';
import type { RecordDependencies } from './record-dependencies';
import type { CrmRecord, RecordModel } from './record-model';
import { planRecordWrite } from './record-writes';
import { prepareRecord } from './prepare-record';

/** Creates a record from a validated POST body, with its guards, links and first timeline entry in one transaction. */
export async function createRecord(deps: RecordDependencies, model: RecordModel, input: Record<string, unknown>, actor: Actor): Promise<CrmRecord> {
  const now = deps.clock.now().toISOString();
  const record = await prepareRecord(deps, model, { id: deps.ids.next(), createdAt: now, version: 1 }, input, now);
  const { ops } = planRecordWrite({ model, after: record, actor, changeId: deps.ids.next() });
  await deps.table.transactWrite(ops);
  return record;
}
