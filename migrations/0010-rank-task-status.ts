import { activityModel } from '../domain/records/activity';
import { hasTaskStatusRank, recordsByFacet } from '../domain/shared/keys';
import type { Migration } from './migration';
import { reindexRecords } from './reindex-records';

/**
 * A user's task list promised open tasks before done ones, but its sort key started with the
 * status as written, and `done` sorts before `open`. Today's key starts with a rank
 * (`0open`, `1done`): rewrites each task whose key has the old form. Until it has run, a list
 * of one status misses the tasks not yet rewritten.
 */
export const rankTaskStatus: Migration = {
  id: '0010-rank-task-status',
  description: 'Put open tasks before done ones in each assignee list (gsi4 sort key)',
  async run({ table, log }) {
    const changed = await reindexRecords(table, activityModel, recordsByFacet.query({ type: 'activity', facet: 'kind', value: 'task' }), (task, item) => Boolean(task.assigneeId) && item.gsi4pk !== undefined && !hasTaskStatusRank(item.gsi4sk));
    log(`ranked ${changed} task(s) by status`);
    return { changed };
  },
};
