import { activityModel } from '../domain/records/activity';
import { recordsByFacet } from '../domain/shared/keys';
import type { Migration } from './migration';
import { reindexRecords } from './reindex-records';

/**
 * Tasks written before the gsi4 index existed carry no assignee keys, so "my open
 * tasks" would miss them. Rewrites each such task's item with the keys today's code
 * writes, through every partition the tasks list may have, before and after its index
 * was sharded; a task changed meanwhile already has them and is skipped.
 */
export const indexTasksByAssignee: Migration = {
  id: '0001-index-tasks-by-assignee',
  description: 'Add assignee index keys (gsi4) to tasks written before the index existed',
  async run({ table, log }) {
    const changed = await reindexRecords(table, activityModel, recordsByFacet.query({ type: 'activity', facet: 'kind', value: 'task' }), (task, item) => Boolean(task.assigneeId) && !item.gsi4pk);
    log(`indexed ${changed} task(s) by assignee`);
    return { changed };
  },
};
